import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions, ensureDatabase, LIFT_STATEMENT_TIMEOUT, migrate, MIGRATION_LOCK, timeZoneNames } from './data-source';
import { scratchDatabase } from './testing/scratch-database';

/** The statement timeout of the pooled connections, its lift for one transaction, and migrations under it. */
describe('data source (PostgreSQL)', () => {
  const database = scratchDatabase('ds');
  const { url } = database;
  let dataSource: DataSource;

  beforeAll(async () => {
    await ensureDatabase(url);
    dataSource = await new DataSource(dataSourceOptions(url, 2, 300)).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database.drop();
  });

  it('runs the migrations with the timeout lifted (waiting for the lock longer than it), and leaves the connection with it afterwards', async () => {
    // Another instance holds the migration lock for longer than the timeout.
    const other = new Client({ connectionString: url });
    await other.connect();
    await other.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const released = new Promise((resolve) => setTimeout(resolve, 1000)).then(() => other.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]));
    try {
      await migrate(dataSource);
    } finally {
      await released;
      await other.end();
    }
    const runner = dataSource.createQueryRunner();
    try {
      expect((await runner.query('SHOW statement_timeout'))[0].statement_timeout).toBe('300ms');
    } finally {
      await runner.release();
    }
    expect((await dataSource.query(`SELECT count(*)::int AS n FROM migrations`))[0].n).toBeGreaterThan(0);
  });

  it('gives every pooled connection the statement timeout, which cancels a longer statement (57014)', async () => {
    const shown = await Promise.all([0, 1].map(() => dataSource.query('SHOW statement_timeout')));
    expect(shown.map((rows) => rows[0].statement_timeout)).toEqual(['300ms', '300ms']);
    await expect(dataSource.query('SELECT pg_sleep(2)')).rejects.toMatchObject({ driverError: { code: '57014' } });
  });

  it('lifts it for the rest of one transaction only', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.query(LIFT_STATEMENT_TIMEOUT);
      expect((await runner.query('SHOW statement_timeout'))[0].statement_timeout).toBe('0');
      await runner.query('SELECT pg_sleep(0.6)');
      await runner.commitTransaction();
      expect((await runner.query('SHOW statement_timeout'))[0].statement_timeout).toBe('300ms');
    } finally {
      await runner.release();
    }
  });

  it('lists the time zone names PostgreSQL knows', async () => {
    const names = await timeZoneNames(dataSource);
    expect(names).toEqual(expect.arrayContaining(['UTC', 'Europe/Paris']));
    expect(names).not.toContain('US/Pacific-New');
  });
});
