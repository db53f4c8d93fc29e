import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NatsNamespace } from '@exports/contracts';
import { AccountsRepository, dataSourceOptions, ensureDatabase, ExportsRepository, migrate } from '@exports/database';
import { ObjectStorage } from '@exports/storage';
import { AppConfig } from '../config';
import { JetStream } from '../jetstream';
import { retryAtStart } from '../retry';

export const APP_NAME = Symbol('APP_NAME');

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
 * PostgreSQL through TypeORM (database created and migrated at start), our
 * JetStream provider, object storage with its bucket, and the repositories.
 */
@Global()
@Module({})
export class PlatformModule {
  static forApp(app: string, config: AppConfig, options: { poolSize?: number } = {}): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: async () => {
            await retryAtStart('PostgreSQL', () => ensureDatabase(config.DATABASE_URL));
            return dataSourceOptions(config.DATABASE_URL, options.poolSize);
          },
          dataSourceFactory: async (dataSourceConfig) => {
            const dataSource = await new DataSource(dataSourceConfig!).initialize();
            await migrate(dataSource);
            return dataSource;
          },
        }),
      ],
      providers: [
        { provide: APP_NAME, useValue: app },
        { provide: AppConfig, useValue: config },
        {
          provide: JetStream,
          useFactory: () => retryAtStart('NATS', () => JetStream.connect(config.NATS_URL, new NatsNamespace(config.NATS_NAMESPACE), app)),
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
            return storage;
          },
        },
        { provide: ExportsRepository, useFactory: (ds: DataSource) => new ExportsRepository(ds), inject: [DataSource] },
        { provide: AccountsRepository, useFactory: (ds: DataSource) => new AccountsRepository(ds), inject: [DataSource] },
        ConnectionsShutdown,
      ],
      exports: [APP_NAME, AppConfig, JetStream, ObjectStorage, ExportsRepository, AccountsRepository],
    };
  }
}

export const InjectAppName = () => Inject(APP_NAME);
