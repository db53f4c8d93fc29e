import { DynamicModule, Global, Injectable, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { useDatabaseTimeZones } from '@exports/contracts';
import { AppConfig, ConfigError, databaseRoleProblem, Readiness, retryAtStart } from '@exports/platform';
import { AccountsRepository } from './accounts.repository';
import { connectedRole, dataSourceOptions, ensureDatabase, migrate, migrateDatabase, timeZoneNames } from './data-source';
import { ExportsRepository } from './exports.repository';
import { ExportDownloadsRepository } from './export-downloads.repository';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhooksRepository } from './webhooks.repository';

@Injectable()
class DatabaseReadiness {
  constructor(dataSource: DataSource, readiness: Readiness) {
    readiness.register('database', () => dataSource.query('SELECT 1'));
  }
}

/**
 * PostgreSQL for an app, through TypeORM: the database is created and migrated at start (by the
 * owner of DATABASE_MIGRATION_URL when set, else by DATABASE_URL), the role is checked in
 * production, and the repositories are provided. Needs `PlatformModule` (config, readiness).
 */
@Global()
@Module({})
export class DatabaseModule {
  static forApp(config: AppConfig): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: async () => {
            const migrationUrl = config.DATABASE_MIGRATION_URL;
            await retryAtStart('PostgreSQL', () => ensureDatabase(migrationUrl ?? config.DATABASE_URL));
            if (migrationUrl) await migrateDatabase(migrationUrl);
            // A refused setting stays refused: stop at once instead of retrying the connection.
            return { ...dataSourceOptions(config.DATABASE_URL, undefined, config.DATABASE_STATEMENT_TIMEOUT_MS), toRetry: (error: unknown) => !(error instanceof ConfigError) };
          },
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
            try {
              await prepare(dataSource, config);
            } catch (error) {
              await dataSource.destroy();
              throw error;
            }
            return dataSource;
          },
        }),
      ],
      providers: [
        { provide: ExportsRepository, useFactory: (dataSource: DataSource) => new ExportsRepository(dataSource), inject: [DataSource] },
        { provide: AccountsRepository, useFactory: (dataSource: DataSource) => new AccountsRepository(dataSource), inject: [DataSource] },
        { provide: ExportDownloadsRepository, useFactory: (dataSource: DataSource) => new ExportDownloadsRepository(dataSource), inject: [DataSource] },
        { provide: WebhooksRepository, useFactory: (dataSource: DataSource) => new WebhooksRepository(dataSource), inject: [DataSource] },
        { provide: WebhookDeliveriesRepository, useFactory: (dataSource: DataSource) => new WebhookDeliveriesRepository(dataSource), inject: [DataSource] },
        DatabaseReadiness,
      ],
      exports: [ExportsRepository, AccountsRepository, WebhooksRepository, WebhookDeliveriesRepository, ExportDownloadsRepository],
    };
  }
}

async function prepare(dataSource: DataSource, config: AppConfig): Promise<void> {
  if (config.isProduction) {
    const problem = databaseRoleProblem(await connectedRole(dataSource));
    if (problem) throw new ConfigError([problem], 'Unsafe configuration for NODE_ENV=production');
  }
  // Without an owner's URL, DATABASE_URL migrates; for an app role with nothing pending, that only reads the migrations table.
  if (!config.DATABASE_MIGRATION_URL) await migrate(dataSource);
  useDatabaseTimeZones(await timeZoneNames(dataSource));
}
