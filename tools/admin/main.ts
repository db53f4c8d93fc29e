import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { NatsNamespace } from '@exports/contracts';
import { migrateDatabase, openDatabase } from '@exports/database';
import { AppConfig, ConfigError, JetStream, loadConfig, natsConnectionOptions } from '@exports/platform';
import { ObjectStorage } from '@exports/storage';
import { CliError, commandHelp, ExitCode, generalHelp, parseOptions, usageError } from './cli';
import { AdminContext, COMMANDS } from './commands';

/** Operator commands: `npm run admin -- <command> [options]`; `help` lists them. */
async function main(argv: string[]): Promise<ExitCode> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${generalHelp(COMMANDS)}\n`);
    return ExitCode.Ok;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) throw usageError(`Unknown command "${name}"\n\n${generalHelp(COMMANDS)}`);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return ExitCode.Ok;
  }
  const options = parseOptions(command, args);
  const context = new Connections(loadConfig());
  try {
    await command.run(context, options);
  } finally {
    await context.close();
  }
  return ExitCode.Ok;
}

/** Opens the database, object storage and NATS only for the commands that use them. */
class Connections implements AdminContext {
  private dataSource?: Promise<DataSource>;
  private objectStorage?: ObjectStorage;
  private nats?: Promise<JetStream>;

  constructor(readonly config: AppConfig) {}

  database(): Promise<DataSource> {
    this.dataSource ??= openDatabase(this.config.DATABASE_URL, 2, this.config.DATABASE_MIGRATION_URL);
    return this.dataSource;
  }

  async migrate(): Promise<{ database: string; applied: string[] }> {
    const url = this.config.DATABASE_MIGRATION_URL ?? this.config.DATABASE_URL;
    return { database: decodeURIComponent(new URL(url).pathname.slice(1)), applied: await migrateDatabase(url) };
  }

  storage(): ObjectStorage {
    this.objectStorage ??= new ObjectStorage({
      endpoint: this.config.S3_ENDPOINT,
      publicUrl: this.config.s3PublicUrl,
      accessKey: this.config.S3_ACCESS_KEY,
      secretKey: this.config.S3_SECRET_KEY,
      bucket: this.config.S3_BUCKET,
      region: this.config.S3_REGION,
      partSize: this.config.S3_PART_SIZE_MB * 1024 * 1024,
    });
    return this.objectStorage;
  }

  jetStream(): Promise<JetStream> {
    this.nats ??= JetStream.connect(natsConnectionOptions(this.config, 'admin'), new NatsNamespace(this.config.NATS_NAMESPACE));
    return this.nats;
  }

  print(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value)}\n`);
  }

  note(message: string): void {
    process.stderr.write(`${message}\n`);
  }

  async close(): Promise<void> {
    const dataSource = await this.dataSource?.catch(() => undefined);
    if (dataSource?.isInitialized) await dataSource.destroy();
    await (await this.nats?.catch(() => undefined))?.close();
  }
}

function messageOf(error: unknown): string {
  if (error instanceof CliError || error instanceof ConfigError) return error.message;
  return `admin: ${error instanceof Error ? error.message : String(error)}`;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${messageOf(error)}\n`);
    process.exitCode = error instanceof CliError ? error.exitCode : ExitCode.Failed;
  },
);
