import { LoggerService, LogLevel } from '@nestjs/common';

const LEVELS: LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];

/** Field names whose values never reach a log line. */
const SECRET_FIELDS = /^(x-api-key|apikey|api_key|authorization|password|secret|body|downloadurl|url|presignedurl)$/i;

export type LogFields = Record<string, unknown>;

/**
 * One JSON object per line on stdout: time, level, app, context, message, and
 * any fields passed as an object (`exportId`, `accountId`, `errorId`, ...).
 */
export class JsonLogger implements LoggerService {
  private readonly minLevel: number;

  constructor(
    private readonly app: string,
    level: string = 'log',
    private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  ) {
    const index = LEVELS.indexOf(level as LogLevel);
    this.minLevel = index === -1 ? LEVELS.indexOf('log') : index;
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.emit('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.emit('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.emit('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.emit('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.emit('fatal', message, rest);
  }

  isLevelEnabled(level: LogLevel): boolean {
    return LEVELS.indexOf(level) >= this.minLevel;
  }

  private emit(level: LogLevel, message: unknown, rest: unknown[]): void {
    if (!this.isLevelEnabled(level)) return;
    // Nest passes the context last; for errors a stack string may come before it.
    const args = [...rest];
    const context = typeof args[args.length - 1] === 'string' ? (args.pop() as string) : undefined;
    const line: LogFields = { time: new Date().toISOString(), level, app: this.app };
    if (context) line.context = context;
    if (message instanceof Error) {
      line.message = message.message;
      line.stack = message.stack;
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(line, redact(message as LogFields));
    } else {
      line.message = String(message);
    }
    for (const extra of args) {
      if (typeof extra === 'string' && level === 'error') line.stack = extra;
      else if (typeof extra === 'object' && extra !== null) Object.assign(line, redact(extra as LogFields));
    }
    this.write(safeStringify(line));
  }
}

function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = SECRET_FIELDS.test(key) ? '[redacted]' : value instanceof Error ? { message: value.message, name: value.name } : value;
  }
  return out;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return JSON.stringify({ level: 'error', message: 'unserialisable log line' });
  }
}
