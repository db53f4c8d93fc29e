import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NatsNamespace, useDatabaseTimeZones } from '@exports/contracts';
import { AccountsRepository, connectedRole, dataSourceOptions, ensureDatabase, ExportsRepository, migrate, migrateDatabase, timeZoneNames } from '@exports/database';
import { ObjectStorage } from '@exports/storage';
import { AppConfig, ConfigError, databaseRoleProblem } from '../config';
import { JetStream } from '../jetstream';
import { natsConnectionOptions } from '../nats-connection';
import { Metrics } from '../metrics';
import { OpsServer } from '../ops-server';
import { retryAtStart } from '../retry';
import { Readiness } from './readiness';

const OPS_PORT = Symbol('OPS_PORT');

/** The /metrics and /health endpoints of an app, on its ops port: internal, never the public one. */
@Injectable()
class OpsEndpoints implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: OpsServer;

  constructor(
    private readonly metrics: Metrics,
    private readonly readiness: Readiness,
    @Inject(OPS_PORT) private readonly port: number | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.port === null) return;
    this.server = new OpsServer(this.metrics, () => this.readiness.check());
    await this.server.listen(this.port);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}

@Injectable()
class ConnectionsShutdown implements OnApplicationShutdown {
  private readonly logger = new Logger('Shutdown');

  constructor(private readonly jetStream: JetStream) {}

  async onApplicationShutdown(signal?: string): Promise<void> {
    await this.jetStream.close();
    this.logger.log({ message: 'Connections closed', signal });
  }
}

/**
 * The infrastructure of every app, built once from the validated config:
 * PostgreSQL through TypeORM (database created and migrated at start, by the
 * owner of DATABASE_MIGRATION_URL when set), our JetStream provider, object
 * storage with its bucket, and the repositories.
 */
@Global()
@Module({})
export class PlatformModule {
  /** `opsPort`: serve /metrics and /health on this port. */
  static forApp(app: string, config: AppConfig, options: { poolSize?: number; opsPort?: number } = {}): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: async () => {
            const migrationUrl = config.DATABASE_MIGRATION_URL;
            await retryAtStart('PostgreSQL', () => ensureDatabase(migrationUrl ?? config.DATABASE_URL));
            if (migrationUrl) await migrateDatabase(migrationUrl);
            // A refused setting stays refused: stop at once instead of retrying the connection.
            return { ...dataSourceOptions(config.DATABASE_URL, options.poolSize, config.DATABASE_STATEMENT_TIMEOUT_MS), toRetry: (error: unknown) => !(error instanceof ConfigError) };
          },
          dataSourceFactory: async (dataSourceConfig) => {
            const dataSource = await new DataSource(dataSourceConfig!).initialize();
            try {
              if (config.isProduction) {
                const problem = databaseRoleProblem(await connectedRole(dataSource));
                if (problem) throw new ConfigError([problem], 'Unsafe configuration for NODE_ENV=production');
              }
              // Without an owner's URL, DATABASE_URL migrates; for an app role with nothing pending, that only reads the migrations table.
              if (!config.DATABASE_MIGRATION_URL) await migrate(dataSource);
              useDatabaseTimeZones(await timeZoneNames(dataSource));
            } catch (error) {
              await dataSource.destroy();
              throw error;
            }
            return dataSource;
          },
        }),
      ],
      providers: [
        { provide: Metrics, useValue: new Metrics(app) },
        { provide: OPS_PORT, useValue: options.opsPort ?? null },
        Readiness,
        OpsEndpoints,
        { provide: AppConfig, useValue: config },
        {
          provide: JetStream,
          useFactory: () => retryAtStart('NATS', () => JetStream.connect(natsConnectionOptions(config, app), new NatsNamespace(config.NATS_NAMESPACE))),
        },
        {
          provide: ObjectStorage,
          useFactory: async () => {
            const storage = new ObjectStorage({
              endpoint: config.S3_ENDPOINT,
              publicUrl: config.s3PublicUrl,
              accessKey: config.S3_ACCESS_KEY,
              secretKey: config.S3_SECRET_KEY,
              bucket: config.S3_BUCKET,
              region: config.S3_REGION,
              partSize: config.S3_PART_SIZE_MB * 1024 * 1024,
            });
            await retryAtStart('Object storage', () => storage.ensureBucket());
            await applyLifecycle(storage, config);
            return storage;
          },
        },
        { provide: ExportsRepository, useFactory: (ds: DataSource) => new ExportsRepository(ds), inject: [DataSource] },
        { provide: AccountsRepository, useFactory: (ds: DataSource) => new AccountsRepository(ds), inject: [DataSource] },
        ConnectionsShutdown,
      ],
      exports: [AppConfig, JetStream, ObjectStorage, ExportsRepository, AccountsRepository, Metrics, Readiness],
    };
  }
}

/** Days past the file retention before the bucket's own rule removes an object the sweeper missed. */
const LIFECYCLE_MARGIN_DAYS = 1;

/**
 * The bucket's lifecycle, the safety net behind the sweeper: objects expire a day after the file
 * retention, unfinished multipart uploads are aborted after a day. A server without lifecycle
 * support (NotImplemented), or one that refuses it, is logged once and the app goes on.
 */
async function applyLifecycle(storage: ObjectStorage, config: AppConfig): Promise<void> {
  const logger = new Logger('ObjectStorage');
  const rules = { expireAfterDays: Math.ceil(config.EXPORT_RETENTION_SECONDS / 86_400) + LIFECYCLE_MARGIN_DAYS, abortIncompleteUploadsAfterDays: 1 };
  try {
    const outcome = await storage.applyLifecycle(rules);
    if (outcome === 'set') logger.log({ message: 'Bucket lifecycle set', bucket: storage.bucket, ...rules });
    else logger.log({ message: 'Bucket lifecycle not supported by the object storage; the sweeper alone removes files', bucket: storage.bucket });
  } catch (error) {
    logger.warn({ message: 'Bucket lifecycle could not be set; the sweeper alone removes files', bucket: storage.bucket, reason: (error as Error).message });
  }
}
