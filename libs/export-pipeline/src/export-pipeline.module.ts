import {
  DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleDestroy,
} from '@nestjs/common';
import { Pool } from 'pg';
import { exportOutboxMessage, ExportsRepository } from '@exports/database';
import { OutboxModule } from '@exports/outbox';
import { AppConfig, JetStream, Metrics } from '@exports/platform';
import { ObjectStorage } from '@exports/storage';
import { ExportConsumer } from './export-consumer';
import { ExportRunner } from './export-runner';
import { RunCancellations } from './run-cancellations';
import { ExportSource } from '@exports/export-files';

const EXPORT_POOL = Symbol('EXPORT_POOL');
const poolLogger = new Logger('ExportPool');

@Injectable()
class ExportPipelineLifecycle implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  constructor(
    private readonly consumer: ExportConsumer,
    private readonly cancellations: RunCancellations,
    private readonly config: AppConfig,
    @Inject(EXPORT_POOL) private readonly pool: Pool,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Listening for cancels before the first run is taken.
    await this.cancellations.start();
    await this.consumer.start();
  }

  /**
   * Stops taking work; runs in progress finish within the grace period or are handed back.
   * The first shutdown hook Nest calls, so no run is taken while the rest of the app stops.
   */
  async onModuleDestroy(): Promise<void> {
    await this.consumer.stop(this.config.EXPORT_SHUTDOWN_GRACE_SECONDS);
  }

  async onApplicationShutdown(): Promise<void> {
    // Kept through the grace period: a run finishing then can still be cancelled.
    this.cancellations.stop();
    await this.pool.end();
  }
}

/** Runs the exports of the given types for one app; needs `PlatformModule` in the app. */
@Module({})
export class ExportPipelineModule {
  static register(app: string, sources: ExportSource[]): DynamicModule {
    return {
      module: ExportPipelineModule,
      imports: [OutboxModule.forApp(exportOutboxMessage)],
      providers: [
        {
          provide: EXPORT_POOL,
          // A pool of its own: COPY streams hold a connection for a whole run. The runner lifts the
          // statement timeout for the COPY's transaction only.
          useFactory: (config: AppConfig) => {
            const pool = new Pool({
              connectionString: config.DATABASE_URL,
              max: config.EXPORT_CONCURRENCY * sources.length + 1,
              connectionTimeoutMillis: 10_000,
              statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS,
            });
            // An idle connection that PostgreSQL drops (restart, failover) is an 'error' event: without a
            // listener it would kill the process. The pool discards the client; the next run opens another.
            pool.on('error', (error) => poolLogger.warn({ message: 'Idle export connection lost; it will be replaced', reason: error.message }));
            return pool;
          },
          inject: [AppConfig],
        },
        {
          provide: ExportRunner,
          useFactory: (pool: Pool, exports: ExportsRepository, storage: ObjectStorage, config: AppConfig, metrics: Metrics) =>
            new ExportRunner(
              pool,
              exports,
              storage,
              {
                maxAttempts: config.EXPORT_MAX_ATTEMPTS,
                linkTtlSeconds: config.EXPORT_LINK_TTL_SECONDS,
                retentionSeconds: config.EXPORT_RETENTION_SECONDS,
                stallSeconds: config.EXPORT_ACK_WAIT_SECONDS * 2,
                leaseSeconds: config.EXPORT_ACK_WAIT_SECONDS,
                accountConcurrency: config.EXPORT_ACCOUNT_CONCURRENCY,
                gzipLevel: config.EXPORT_GZIP_LEVEL,
              },
              sources,
              metrics,
            ),
          inject: [EXPORT_POOL, ExportsRepository, ObjectStorage, AppConfig, Metrics],
        },
        {
          provide: ExportConsumer,
          useFactory: (jetStream: JetStream, runner: ExportRunner, config: AppConfig, metrics: Metrics) =>
            new ExportConsumer(
              jetStream,
              runner,
              {
                app,
                types: sources.map((source) => source.type),
                ackWaitSeconds: config.EXPORT_ACK_WAIT_SECONDS,
                concurrency: config.EXPORT_CONCURRENCY,
              },
              metrics,
            ),
          inject: [JetStream, ExportRunner, AppConfig, Metrics],
        },
        {
          provide: RunCancellations,
          useFactory: (jetStream: JetStream, runner: ExportRunner) => new RunCancellations(jetStream, runner),
          inject: [JetStream, ExportRunner],
        },
        ExportPipelineLifecycle,
      ],
      exports: [ExportRunner],
    };
  }
}
