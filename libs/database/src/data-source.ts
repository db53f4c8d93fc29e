import { Client } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AccountEntity } from './entities/account.entity';
import { ApiKeyEntity } from './entities/api-key.entity';
import { ContactEntity } from './entities/contact.entity';
import { DeliveryReportEntity } from './entities/delivery-report.entity';
import { ExportEntity } from './entities/export.entity';
import { MessageEntity } from './entities/message.entity';
import { InitialSchema1764230400000 } from './migrations/1764230400000-initial-schema';
import { OutboxAndRetention1764316800000 } from './migrations/1764316800000-outbox-and-retention';
import { OutboxSnapshot1764403200000 } from './migrations/1764403200000-outbox-snapshot';
import { RequestPathTuning1764489600000 } from './migrations/1764489600000-request-path-tuning';
import { RecordRetention1764662400000 } from './migrations/1764662400000-record-retention';

export const ENTITIES = [AccountEntity, ApiKeyEntity, ExportEntity, ContactEntity, MessageEntity, DeliveryReportEntity];
export const MIGRATIONS = [
  InitialSchema1764230400000,
  OutboxAndRetention1764316800000,
  OutboxSnapshot1764403200000,
  RequestPathTuning1764489600000,
  RecordRetention1764662400000,
];

/** Serialises migrations when several apps start at once. */
const MIGRATION_LOCK = 7_422_001;

export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    logging: ['error'],
    extra: { max: poolSize, connectionTimeoutMillis: 5000 },
  };
}

/** Creates the database named in `url` when it is missing (connecting to `postgres` to do so). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04' && error.code !== '23505') throw error; // created meanwhile by another app
      });
    }
  } finally {
    await client.end();
  }
}

/** Runs pending migrations under an advisory lock so concurrent starts do not collide. */
export async function migrate(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}

/** Connects, creating the database and running migrations first. */
export async function openDatabase(url: string, poolSize?: number): Promise<DataSource> {
  await ensureDatabase(url);
  // migrate() holds one connection for the lock while the migrations use another.
  const dataSource = new DataSource(dataSourceOptions(url, Math.max(poolSize ?? 10, 2)));
  await dataSource.initialize();
  await migrate(dataSource);
  return dataSource;
}
