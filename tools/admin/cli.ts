/** Exit codes of the admin CLI. */
export enum ExitCode {
  Ok = 0,
  /** Unknown account, key or export; or an export in a state that refuses the command. */
  Failed = 1,
  /** Bad command line: unknown command or option, missing or malformed value. */
  Usage = 2,
}

/** An error the CLI reports on stderr, and the exit code it ends with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, ExitCode.Usage);
export const failure = (message: string) => new CliError(message, ExitCode.Failed);

export interface OptionSpec {
  /** Placeholder shown in help, e.g. `<id>`; empty for a flag (an option without a value). */
  value: string;
  description: string;
  /** A check of the value; returns what is wrong with it, or undefined. */
  check?: (value: string) => string | undefined;
  /** Options are required unless marked optional; a flag is always optional. */
  optional?: boolean;
}

/** An option given without a value, e.g. `--all`; it reads as "true". */
export const flagOption = (description: string): OptionSpec => ({ value: '', description, optional: true });

const isFlag = (spec: OptionSpec) => spec.value === '';

export type Options = Record<string, string>;

export interface Command<C> {
  name: string;
  summary: string;
  options: Record<string, OptionSpec>;
  /** What it prints on stdout. */
  output: string;
  run(context: C, options: Options): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const uuidOption = (description: string): OptionSpec => ({
  value: '<id>',
  description,
  check: (value) => (UUID.test(value) ? undefined : 'must be a UUID'),
});

/**
 * `--name value` and `--name=value` pairs, checked against the command's options: an unknown
 * option, a missing value, a repeated option or a bad value is a usage error naming the option.
 */
export function parseOptions<C>(command: Command<C>, args: string[]): Options {
  const options: Options = {};
  for (let at = 0; at < args.length; at++) {
    const arg = args[at];
    const match = /^--([a-z][a-z-]*)(?:=(.*))?$/s.exec(arg);
    if (!match) throw usageError(`${command.name}: unexpected argument "${arg}"\n\n${commandHelp(command)}`);
    const [, name, inline] = match;
    if (!command.options[name]) throw usageError(`${command.name}: unknown option --${name}\n\n${commandHelp(command)}`);
    if (name in options) throw usageError(`${command.name}: --${name} is given twice`);
    if (isFlag(command.options[name])) {
      if (inline !== undefined) throw usageError(`${command.name}: --${name} takes no value`);
      options[name] = 'true';
      continue;
    }
    const value = inline ?? args[at + 1];
    if (inline === undefined) at += 1;
    if (value === undefined || (inline === undefined && value.startsWith('--'))) {
      throw usageError(`${command.name}: --${name} needs a value ${command.options[name].value}`);
    }
    options[name] = value;
  }
  for (const [name, spec] of Object.entries(command.options)) {
    const value = options[name];
    if (value === undefined && spec.optional) continue;
    if (value === undefined) throw usageError(`${command.name}: missing option --${name} ${spec.value}\n\n${commandHelp(command)}`);
    const problem = spec.check?.(value);
    if (problem) throw usageError(`${command.name}: --${name} ${problem} (got "${value}")`);
  }
  return options;
}

const optionText = (name: string, spec: OptionSpec) => (isFlag(spec) ? `--${name}` : `--${name} ${spec.value}`);

export function commandLine<C>(command: Command<C>): string {
  const options = Object.entries(command.options).map(([name, spec]) => (spec.optional ? `[${optionText(name, spec)}]` : optionText(name, spec)));
  return [command.name, ...options].join(' ');
}

export function commandHelp<C>(command: Command<C>): string {
  const width = Math.max(0, ...Object.entries(command.options).map(([name, spec]) => optionText(name, spec).length));
  const options = Object.entries(command.options).map(([name, spec]) => `  ${optionText(name, spec).padEnd(width)}  ${spec.description}`);
  return [
    `Usage: npm run admin -- ${commandLine(command)}`,
    '',
    command.summary,
    ...(options.length ? ['', 'Options:', ...options] : []),
    '',
    `Prints: ${command.output}`,
  ].join('\n');
}

export function generalHelp<C>(commands: Command<C>[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'Usage: npm run admin -- <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    `  ${'help'.padEnd(width)}  Show this help; "<command> --help" shows a command's options.`,
    '',
    'Output goes to stdout as JSON (one line per item); errors go to stderr.',
    'Exit codes: 0 done, 1 not found or refused, 2 bad command line.',
    'Configuration from the environment, as for the apps (DATABASE_URL, DATABASE_MIGRATION_URL, NATS_URL, NATS_NKEY_SEED_FILE, NATS_NAMESPACE, S3_*).',
  ].join('\n');
}
