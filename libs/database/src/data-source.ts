import { Client } from 'pg';
import { DataSource, DataSourceOptions, MigrationExecutor } from 'typeorm';
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
import { OutboxSnapshotAlways1764748800000 } from './migrations/1764748800000-outbox-snapshot-always';
import { RateLimits1764835200000 } from './migrations/1764835200000-rate-limits';
import { OpenExportsLocked1764921600000 } from './migrations/1764921600000-open-exports-locked';
import { ExportOutput1765008000000 } from './migrations/1765008000000-export-output';
import { ExportCancel1765094400000 } from './migrations/1765094400000-export-cancel';
import { ExportDownloads1765180800000 } from './migrations/1765180800000-export-downloads';
import { Webhooks1765267200000 } from './migrations/1765267200000-webhooks';

export const ENTITIES = [AccountEntity, ApiKeyEntity, ExportEntity, ContactEntity, MessageEntity, DeliveryReportEntity];
export const MIGRATIONS = [
  InitialSchema1764230400000,
  OutboxAndRetention1764316800000,
  OutboxSnapshot1764403200000,
  RequestPathTuning1764489600000,
  RecordRetention1764662400000,
  OutboxSnapshotAlways1764748800000,
  RateLimits1764835200000,
  OpenExportsLocked1764921600000,
  ExportOutput1765008000000,
  ExportCancel1765094400000,
  ExportDownloads1765180800000,
  Webhooks1765267200000,
];

/** Serialises migrations when several apps start at once. */
export const MIGRATION_LOCK = 7_422_001;
/** PostgreSQL's "database does not exist". */
const INVALID_CATALOG_NAME = '3D000';

/** Lifts the pool's statement timeout for the rest of a transaction (the long export COPY). */
export const LIFT_STATEMENT_TIMEOUT = 'SET LOCAL statement_timeout = 0';

/**
 * `statementTimeoutMs`: the longest statement on every pooled connection (sent when the
 * connection opens, so no statement ever runs without it); left out, the server's default.
 */
export function dataSourceOptions(url: string, poolSize = 10, statementTimeoutMs?: number): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    logging: ['error'],
    extra: { max: poolSize, connectionTimeoutMillis: 5000, ...(statementTimeoutMs === undefined ? {} : { statement_timeout: statementTimeoutMs }) },
  };
}

/**
 * Creates the database named in `url` when it is missing (connecting to `postgres` to do so).
 * A database that exists is found by connecting to it, so a role without access to
 * `postgres` (the apps' own) never needs one.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  const probe = new Client({ connectionString: url });
  try {
    await probe.connect();
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== INVALID_CATALOG_NAME) throw error;
  } finally {
    await probe.end().catch(() => undefined);
  }
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
      if (error.code !== '42P04' && error.code !== '23505') throw error; // created meanwhile by another app
    });
  } finally {
    await client.end();
  }
}

/**
 * Runs pending migrations under an advisory lock so concurrent starts do not collide, on the
 * connection that holds the lock, with the statement timeout lifted: waiting for the lock and
 * building an index on a large table may take longer than any request should. The names of
 * those it ran.
 */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SET statement_timeout = 0');
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'each';
    return (await executor.executePendingMigrations()).map((migration) => migration.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.query('RESET statement_timeout').catch(() => undefined);
    await runner.release();
  }
}

/** Creates the database if missing and runs the migrations as the role of `url` (the owner), then disconnects; the migrations it ran. */
export async function migrateDatabase(url: string): Promise<string[]> {
  await ensureDatabase(url);
  const dataSource = await new DataSource(dataSourceOptions(url, 1)).initialize();
  try {
    return await migrate(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Connects to `url`. The database is created and migrated first: by `migrationUrl` (the
 * owner's) when given, else by `url` itself (development, one role for everything).
 */
export async function openDatabase(url: string, poolSize?: number, migrationUrl?: string): Promise<DataSource> {
  if (migrationUrl) {
    await migrateDatabase(migrationUrl);
    return new DataSource(dataSourceOptions(url, poolSize)).initialize();
  }
  await ensureDatabase(url);
  const dataSource = new DataSource(dataSourceOptions(url, poolSize ?? 10));
  await dataSource.initialize();
  await migrate(dataSource);
  return dataSource;
}

/** The time zone names PostgreSQL knows, as `SET TIME ZONE` and `AT TIME ZONE` take them. */
export async function timeZoneNames(dataSource: DataSource): Promise<string[]> {
  const rows: Array<{ name: string }> = await dataSource.query('SELECT name FROM pg_timezone_names');
  return rows.map((row) => row.name);
}

/** The connected role, and what it can do beyond the grants of an app: superuser, or owner of the database, schema or tables. */
export async function connectedRole(dataSource: DataSource): Promise<{ name: string; superuser: boolean; owns: string[] }> {
  // pg_has_role(..., 'MEMBER'): a member of the owning role has the owner's rights too.
  const [row] = (await dataSource.query(`
    SELECT current_user AS name, r.rolsuper AS superuser, current_database() AS database,
           pg_has_role(current_user, d.datdba, 'MEMBER') AS owns_database,
           n.nspname AS schema, coalesce(pg_has_role(current_user, n.nspowner, 'MEMBER'), false) AS owns_schema,
           ARRAY(SELECT c.relname::text FROM pg_class c
                  WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'S') AND pg_has_role(current_user, c.relowner, 'MEMBER')
                  ORDER BY c.relname) AS owned
      FROM pg_roles r
      JOIN pg_database d ON d.datname = current_database()
      LEFT JOIN pg_namespace n ON n.nspname = current_schema()
     WHERE r.rolname = current_user`)) as Array<{ name: string; superuser: boolean; database: string; owns_database: boolean; schema: string | null; owns_schema: boolean; owned: string[] }>;
  const owns: string[] = [];
  if (row.owns_database) owns.push(`the database ${row.database}`);
  if (row.owns_schema && row.schema) owns.push(`the schema ${row.schema}`);
  if (row.owned.length) owns.push(`${row.owned.length} table(s) or sequence(s) (${row.owned.slice(0, 3).join(', ')}${row.owned.length > 3 ? ', ...' : ''})`);
  return { name: row.name, superuser: row.superuser, owns };
}
