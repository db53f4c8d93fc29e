import { DataSource } from 'typeorm';
import { ExportFormat, ExportType } from '@exports/contracts';
import { AccountsRepository } from './accounts.repository';
import { openDatabase } from './data-source';
import { ExportsMaintenanceRepository } from './exports-maintenance.repository';
import { ExportsRepository } from './exports.repository';
import { scratchDatabase } from './testing/scratch-database';

/**
 * The sweeper's statements against the real PostgreSQL, on a database of this file's own: each
 * change is conditional, happens once, and queues its event with the row as it left it.
 */
describe('ExportsMaintenanceRepository (PostgreSQL)', () => {
  const database = scratchDatabase('maint');
  const { url } = database;
  let dataSource: DataSource;
  let exports: ExportsRepository;
  let maintenance: ExportsMaintenanceRepository;
  let accountId: string;

  /** A new export of the test account, then set as `columns` say (SQL expressions). */
  async function exportWith(columns: Record<string, string>): Promise<string> {
    const { record } = await exports.create(accountId, { type: ExportType.Contacts, filters: {}, timezone: 'UTC', output: { format: ExportFormat.Csv, columns: null, maxRowsPerFile: 1000 } }, 1000);
    const set = Object.entries(columns).map(([column, value]) => `${column} = ${value}`);
    if (set.length) await dataSource.query(`UPDATE exports SET ${set.join(', ')} WHERE id = $1`, [record!.id]);
    await dataSource.query(`DELETE FROM outbox WHERE export_id = $1`, [record!.id]);
    return record!.id;
  }
  const rowOf = async (id: string) => (await dataSource.query(`SELECT status, error_code, file_purged_at IS NOT NULL AS purged FROM exports WHERE id = $1`, [id]))[0];
  const outboxOf = async (id: string) => (await dataSource.query(`SELECT kind, snapshot->>'status' AS status FROM outbox WHERE export_id = $1 ORDER BY id`, [id])) as Array<{ kind: string; status: string }>;
  const completedColumns = (link: string, file: string) => ({
    status: `'COMPLETED'`,
    completed_at: `now() - interval '2 hours'`,
    link_expires_at: link,
    file_expires_at: file,
    object_key: `'k/' || id || '.csv'`,
    file_name: `'f.csv'`,
  });

  beforeAll(async () => {
    dataSource = await openDatabase(url, 4);
    exports = new ExportsRepository(dataSource);
    maintenance = new ExportsMaintenanceRepository(dataSource);
    accountId = (await new AccountsRepository(dataSource).createAccount('maintenance test')).accountId;
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database.drop();
  });

  it('expires passed links once, each with an expired event carrying EXPIRED, and leaves live links', async () => {
    const passed = await exportWith(completedColumns(`now() - interval '1 minute'`, `now() + interval '1 day'`));
    const live = await exportWith(completedColumns(`now() + interval '1 hour'`, `now() + interval '1 day'`));
    expect(await maintenance.expireLinks()).toBeGreaterThanOrEqual(1);
    expect(await maintenance.expireLinks()).toBe(0);
    expect((await rowOf(passed)).status).toBe('EXPIRED');
    expect(await outboxOf(passed)).toEqual([{ kind: 'expired', status: 'EXPIRED' }]);
    expect((await rowOf(live)).status).toBe('COMPLETED');
    expect(await outboxOf(live)).toEqual([]);
  });

  it('claims a file past retention once, and a released claim can be claimed again', async () => {
    const old = await exportWith(completedColumns(`now() - interval '1 day'`, `now() - interval '1 minute'`));
    const claimed = await maintenance.claimPurges();
    const mine = claimed.find((candidate) => candidate.id === old);
    expect(mine).toEqual({ id: old, accountId, objectKey: `k/${old}.csv`, objectKeys: [`k/${old}.csv`] });
    expect((await maintenance.claimPurges()).some((candidate) => candidate.id === old)).toBe(false);
    expect((await rowOf(old)).purged).toBe(true);

    await maintenance.releasePurge(mine!);
    expect((await rowOf(old)).purged).toBe(false);
    expect((await maintenance.claimPurges()).map((candidate) => candidate.id)).toContain(old);
  });

  it('claims every part of a split export past retention', async () => {
    const split = await exportWith({
      ...completedColumns(`now() - interval '1 day'`, `now() - interval '1 minute'`),
      object_key: `'k/' || id || '/part-1.csv'`,
      files: `jsonb_build_array(jsonb_build_object('part', 2, 'objectKey', 'k/' || id || '/part-2.csv'), jsonb_build_object('part', 1, 'objectKey', 'k/' || id || '/part-1.csv'))`,
    });
    const mine = (await maintenance.claimPurges()).find((candidate) => candidate.id === split);
    expect(mine?.objectKeys).toEqual([`k/${split}/part-1.csv`, `k/${split}/part-2.csv`]);
  });

  it('fails a silent run whose attempts are used up, and re-drives one whose run message is not waiting', async () => {
    const stale = `now() - interval '10 minutes'`;
    const usedUp = await exportWith({ attempts: '3', heartbeat_at: stale, updated_at: stale });
    const lost = await exportWith({ attempts: '1', heartbeat_at: stale, updated_at: stale });
    const queued = await exportWith({ attempts: '1', heartbeat_at: stale, updated_at: stale });
    await dataSource.query(`INSERT INTO outbox (export_id, account_id, kind, run, snapshot) SELECT id, account_id, 'run', run, to_jsonb(e) FROM exports e WHERE id = $1`, [queued]);

    const { failed } = await maintenance.sweepStaleRuns(3, 60, 'gave up');
    expect(failed).toContainEqual({ id: usedUp, accountId, run: 1 });
    expect(await rowOf(usedUp)).toMatchObject({ status: 'FAILED', error_code: 'TIMEOUT' });
    expect(await outboxOf(usedUp)).toEqual([{ kind: 'failed', status: 'FAILED' }]);
    expect(await outboxOf(lost)).toEqual([{ kind: 'run', status: 'PENDING' }]);
    // Its run already waits in the outbox: not queued twice.
    expect(await outboxOf(queued)).toEqual([{ kind: 'run', status: 'PENDING' }]);
  });

  it('leaves a CANCELLED export to itself: never expired, purged, failed or re-driven, and removed after the record retention', async () => {
    const stale = `now() - interval '10 minutes'`;
    const usedUp = await exportWith({ attempts: '3', heartbeat_at: stale });
    const withAttempts = await exportWith({ attempts: '1', heartbeat_at: stale });
    const cancelled = [usedUp, withAttempts];
    for (const id of cancelled) expect(await exports.cancel(accountId, id)).toEqual({ run: 1 });
    await dataSource.query(`DELETE FROM outbox WHERE export_id = ANY($1)`, [cancelled]);
    await dataSource.query(`UPDATE exports SET updated_at = ${stale}, link_expires_at = ${stale}, object_key = 'k/' || id WHERE id = ANY($1)`, [cancelled]);

    await maintenance.expireLinks();
    expect((await maintenance.claimPurges()).map((candidate) => candidate.id)).not.toEqual(expect.arrayContaining([usedUp]));
    const { failed } = await maintenance.sweepStaleRuns(3, 60, 'gave up');
    expect(failed.map((run) => run.id)).not.toContain(usedUp);
    for (const id of cancelled) {
      expect(await rowOf(id)).toMatchObject({ status: 'CANCELLED', error_code: null, purged: false });
      expect(await outboxOf(id)).toEqual([]);
    }

    await dataSource.query(`UPDATE exports SET updated_at = now() - interval '40 days' WHERE id = $1`, [usedUp]);
    const removed: string[] = [];
    await maintenance.removeExpiredRecords(30, 100, async (records) => {
      removed.push(...records.map((record) => record.id));
    });
    expect(removed).toContain(usedUp);
    expect(removed).not.toContain(withAttempts);
  });

  it('removes old finished records only once their files are removed; a failed removal keeps the rows', async () => {
    const old = await exportWith({ status: `'FAILED'`, updated_at: `now() - interval '40 days'` });
    await expect(
      maintenance.removeExpiredRecords(30, 100, async () => {
        throw new Error('storage down');
      }),
    ).rejects.toThrow('storage down');
    expect(await rowOf(old)).toBeDefined();

    const removed: string[] = [];
    await maintenance.removeExpiredRecords(30, 100, async (records) => {
      removed.push(...records.map((record) => record.id));
    });
    expect(removed).toContain(old);
    expect(await rowOf(old)).toBeUndefined();
  });
});
