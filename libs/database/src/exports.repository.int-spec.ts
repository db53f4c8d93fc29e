import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ExportErrorCode, ExportFormat, ExportStatus, ExportType } from '@exports/contracts';
import { ExportEvent } from '@exports/export-status';
import { OutboxEntry, OutboxKind, OutboxRepository } from '@exports/outbox';
import { AccountsRepository } from './accounts.repository';
import { openDatabase } from './data-source';
import { exportOutboxMessage } from './export-outbox-message';
import { ExportsRepository, NewExport } from './exports.repository';
import { scratchDatabase } from './testing/scratch-database';

/**
 * The registry's rules against the real PostgreSQL, on a database of this file's own (migrated
 * from scratch): account scoping, the open cap under concurrent requests, idempotency keys, the
 * attempt lease, and the outbox entry each change writes with itself.
 */
describe('ExportsRepository (PostgreSQL)', () => {
  const database = scratchDatabase('repo');
  const { url } = database;
  let dataSource: DataSource;
  let exports: ExportsRepository;
  let accounts: AccountsRepository;

  const request = (fields: Partial<NewExport> = {}): NewExport => ({
    type: ExportType.Contacts,
    filters: { listIds: ['l-1'] },
    timezone: 'UTC',
    output: { format: ExportFormat.Csv, columns: null, maxRowsPerFile: 1000 },
    ...fields,
  });
  const account = async () => (await accounts.createAccount('repository test')).accountId;
  const outboxOf = async (exportId: string) =>
    (await dataSource.query(`SELECT o.id::text AS id, o.kind, o.run, o.snapshot FROM outbox o WHERE o.export_id = $1 ORDER BY o.id`, [exportId])) as Array<{ id: string; kind: OutboxKind; run: number; snapshot: Record<string, unknown> }>;
  const file = { files: [{ part: 1, rowCount: 3, sizeBytes: 120, sha256: 'ab'.repeat(32), fileName: 'contacts.csv', objectKey: 'k/contacts.csv' }], linkTtlSeconds: 60, retentionSeconds: 3600 };

  beforeAll(async () => {
    dataSource = await openDatabase(url, 12);
    exports = new ExportsRepository(dataSource);
    accounts = new AccountsRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database.drop();
  });

  it('registers a PENDING export with the outbox entry of its first run, carrying the row', async () => {
    const accountId = await account();
    const { record, open } = await exports.create(accountId, request(), 5);
    expect(open).toBe(0); // counted before this one
    expect(record).toMatchObject({ accountId, status: ExportStatus.Pending, run: 1, attempts: 0, filters: { listIds: ['l-1'] } });
    const [entry] = await outboxOf(record!.id);
    expect(entry).toMatchObject({ kind: 'run', run: 1, snapshot: { id: record!.id, account_id: accountId, status: 'PENDING' } });
    expect(exportOutboxMessage(entry).payload).toEqual({ exportId: record!.id, accountId, type: ExportType.Contacts, run: 1 });
  });

  it('holds the open cap when 12 requests of one account arrive at once', async () => {
    const accountId = await account();
    const results = await Promise.all(Array.from({ length: 12 }, () => exports.create(accountId, request(), 3)));
    expect(results.filter((result) => result.record).length).toBe(3);
    expect(results.filter((result) => !result.record).every((result) => result.open === 3)).toBe(true);
    // Another account has a cap of its own.
    expect((await exports.create(await account(), request(), 3)).record).toBeDefined();
  });

  it('writes one export per idempotency key, and finds it by the key within the account only', async () => {
    const accountId = await account();
    const first = await exports.create(accountId, request({ idempotencyKey: 'key-1', requestHash: 'h1' }), 5);
    const second = await exports.create(accountId, request({ idempotencyKey: 'key-1', requestHash: 'h2' }), 5);
    expect(second.record).toBeUndefined();
    expect((await exports.findByIdempotencyKey(accountId, 'key-1'))?.id).toBe(first.record!.id);
    expect(await exports.findByIdempotencyKey(await account(), 'key-1')).toBeNull();
  });

  it("never reads or changes another account's export", async () => {
    const owner = await account();
    const stranger = await account();
    const { record } = await exports.create(owner, request(), 5);
    expect(await exports.findOne(stranger, record!.id)).toBeNull();
    expect(await exports.list(stranger, { page: 0, limit: 10 })).toEqual({ items: [], totalItems: 0 });
    expect(await exports.startAttempt(stranger, record!.id, 1, 30, 5)).toEqual({ kind: 'unknown' });
    expect(await exports.complete(stranger, record!.id, 1, file)).toBe(false);
    expect(await exports.fail(stranger, record!.id, 1, ExportErrorCode.Internal, 'no')).toBe(false);
    expect((await exports.findOne(owner, record!.id))?.status).toBe(ExportStatus.Pending);
  });

  it('leases an attempt: a second start is refused while the lease lives, a stale run is not pending', async () => {
    const accountId = await account();
    const { record } = await exports.create(accountId, request(), 5);
    const started = await exports.startAttempt(accountId, record!.id, 1, 30, 5);
    expect(started).toMatchObject({ kind: 'started', record: { attempts: 1 } });
    expect(await exports.startAttempt(accountId, record!.id, 1, 30, 5)).toEqual({ kind: 'leased' });
    await exports.endAttempt(accountId, record!.id, 1);
    expect(await exports.startAttempt(accountId, record!.id, 2, 30, 5)).toEqual({ kind: 'not-pending', status: ExportStatus.Pending });
    expect((await exports.startAttempt(accountId, record!.id, 1, 30, 5)).kind).toBe('started');
  });

  it('skips a heartbeat while another transaction holds the row, instead of waiting with a connection', async () => {
    const accountId = await account();
    const { record } = await exports.create(accountId, request(), 5);
    const holder = new Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM exports WHERE id = $1 FOR UPDATE', [record!.id]);
      // Resolves while the row is still held: had it waited, this await would never end.
      await exports.heartbeat(accountId, record!.id, 1, 500);
      await holder.query('COMMIT');
    } finally {
      await holder.end();
    }
    expect((await exports.findOne(accountId, record!.id))?.rowsExported).toBe(0);
    expect(await exports.heartbeat(accountId, record!.id, 1, 500)).toBe('renewed');
    expect((await exports.findOne(accountId, record!.id))?.rowsExported).toBe(500);
  });

  it('cancels a PENDING export once, with a cancelled event carrying the row as cancelled, and frees its slot in the cap', async () => {
    const accountId = await account();
    const { record } = await exports.create(accountId, request(), 1);
    expect((await exports.create(accountId, request(), 1)).record).toBeUndefined();
    const started = await exports.startAttempt(accountId, record!.id, 1, 30, 5);
    expect(started.kind).toBe('started');

    expect(await exports.cancel(accountId, record!.id)).toEqual({ run: 1 });
    expect(await exports.cancel(accountId, record!.id)).toBeNull();
    const cancelled = await exports.findOne(accountId, record!.id);
    expect(cancelled).toMatchObject({ status: ExportStatus.Cancelled, heartbeatAt: null, cancelledAt: expect.any(Date) });
    const entries = await outboxOf(record!.id);
    expect(entries.map((entry) => entry.kind)).toEqual(['run', 'cancelled']);
    const message = exportOutboxMessage(entries[1]);
    expect(message.subject).toBe(`exports.events.cancelled.${accountId}`);
    expect(message.payload).toMatchObject({ exportId: record!.id, status: 'CANCELLED', cancelledAt: cancelled!.cancelledAt!.toISOString(), isAvailableForDownload: false });

    // The running attempt finds its run over, and can neither complete nor fail it.
    expect(await exports.heartbeat(accountId, record!.id, 1, 10)).toBe('gone');
    expect(await exports.complete(accountId, record!.id, 1, file)).toBe(false);
    expect(await exports.fail(accountId, record!.id, 1, ExportErrorCode.Internal, 'x')).toBe(false);
    expect((await exports.findOne(accountId, record!.id))?.status).toBe(ExportStatus.Cancelled);
    // The slot is free at once.
    expect((await exports.create(accountId, request(), 1)).record).toBeDefined();
  });

  it('cancels nothing but PENDING, and nothing of another account', async () => {
    const accountId = await account();
    const { record: done } = await exports.create(accountId, request(), 5);
    await exports.complete(accountId, done!.id, 1, file);
    const { record: failed } = await exports.create(accountId, request(), 5);
    await exports.fail(accountId, failed!.id, 1, ExportErrorCode.Timeout, 'gave up');
    const { record: pending } = await exports.create(accountId, request(), 5);
    for (const id of [done!.id, failed!.id]) expect(await exports.cancel(accountId, id)).toBeNull();
    expect(await exports.cancel(await account(), pending!.id)).toBeNull();
    expect((await exports.findOne(accountId, pending!.id))?.status).toBe(ExportStatus.Pending);
    expect((await outboxOf(done!.id)).map((entry) => entry.kind)).toEqual(['run', 'completed']);
  });

  it('restarts a CANCELLED export in a new run within the cap; a retry (FAILED only) does not move it', async () => {
    const accountId = await account();
    const { record } = await exports.create(accountId, request(), 1);
    await exports.cancel(accountId, record!.id);
    expect(await exports.rerun(accountId, record!.id, ExportEvent.Retry, 5)).toEqual({ kind: 'unchanged' });
    await exports.create(accountId, request(), 1);
    expect(await exports.rerun(accountId, record!.id, ExportEvent.Restart, 1)).toEqual({ kind: 'capped', open: 1 });
    expect(await exports.rerun(accountId, record!.id, ExportEvent.Restart, 5)).toEqual({ kind: 'rerun', run: 2 });
    expect(await exports.findOne(accountId, record!.id)).toMatchObject({ status: ExportStatus.Pending, run: 2, attempts: 0, cancelledAt: null });
    expect((await outboxOf(record!.id)).map((entry) => [entry.kind, entry.run])).toEqual([
      ['run', 1],
      ['cancelled', 1],
      ['run', 2],
    ]);
    // The attempt of the cancelled run is over for good, even though the export is PENDING again.
    expect(await exports.heartbeat(accountId, record!.id, 1, 10)).toBe('gone');
  });

  it('completes once, with a completed event that carries the row as completed', async () => {
    const accountId = await account();
    const { record } = await exports.create(accountId, request(), 5);
    expect(await exports.complete(accountId, record!.id, 1, file)).toBe(true);
    expect(await exports.complete(accountId, record!.id, 1, file)).toBe(false);
    const entries = await outboxOf(record!.id);
    expect(entries.map((entry) => entry.kind)).toEqual(['run', 'completed']);
    expect(exportOutboxMessage(entries[1]).payload).toMatchObject({ exportId: record!.id, status: 'COMPLETED', rowCount: 3, sizeBytes: 120, fileName: 'contacts.csv' });
  });

  it('keeps what the request asked of the file, and every part of a split run with its totals', async () => {
    const accountId = await account();
    const output = { format: ExportFormat.JsonlGzip, columns: ['phoneNumber', 'id'], maxRowsPerFile: 2 };
    const { record } = await exports.create(accountId, request({ output }), 5);
    expect(record).toMatchObject({ format: 'jsonl.gz', columns: ['phoneNumber', 'id'], maxRowsPerFile: 2, files: null });
    const part = (n: number, rows: number) => ({ part: n, rowCount: rows, sizeBytes: 10 * rows, sha256: String(n).repeat(64), fileName: `c-part-${n}-of-2.jsonl.gz`, objectKey: `k/part-${n}.jsonl.gz` });
    expect(await exports.complete(accountId, record!.id, 1, { files: [part(1, 2), part(2, 1)], linkTtlSeconds: 60, retentionSeconds: 3600 })).toBe(true);
    const done = await exports.findOne(accountId, record!.id);
    expect(done).toMatchObject({ rowCount: 3, sizeBytes: 30, sha256: null, fileName: null, objectKey: 'k/part-1.jsonl.gz', files: [part(1, 2), part(2, 1)] });
  });

  it('re-runs a FAILED export in a new run with its run entry, within the cap', async () => {
    const accountId = await account();
    const { record } = await exports.create(accountId, request(), 2);
    expect(await exports.fail(accountId, record!.id, 1, ExportErrorCode.Timeout, 'gave up')).toBe(true);
    await exports.create(accountId, request(), 2);
    await exports.create(accountId, request(), 2);
    expect(await exports.rerun(accountId, record!.id, ExportEvent.Retry, 2)).toEqual({ kind: 'capped', open: 2 });

    expect(await exports.rerun(accountId, record!.id, ExportEvent.Retry, 5)).toEqual({ kind: 'rerun', run: 2 });
    expect(await exports.findOne(accountId, record!.id)).toMatchObject({ status: ExportStatus.Pending, run: 2, attempts: 0, errorCode: null });
    expect((await outboxOf(record!.id)).map((entry) => [entry.kind, entry.run])).toEqual([
      ['run', 1],
      ['failed', 1],
      ['run', 2],
    ]);
    // Already PENDING: nothing to re-run.
    expect(await exports.rerun(accountId, record!.id, ExportEvent.Retry, 5)).toEqual({ kind: 'unchanged' });
  });

  describe('outbox drain (OutboxRepository on the same table)', () => {
    it('hands each due entry to one relay only, deletes the published, backs off the refused', async () => {
      const outbox = new OutboxRepository(dataSource);
      // Nothing else is due: earlier tests' entries are drained away first.
      while ((await outbox.drain(async () => undefined, 500)).sent > 0);
      const accountId = await account();
      const created = await Promise.all([1, 2, 3].map(() => exports.create(accountId, request(), 10)));
      const ids = created.map((result) => result.record!.id);

      // Two relays at once: each entry goes to one of them only.
      const seen: OutboxEntry[] = [];
      let refused = 0;
      const slowPublish = async (entry: OutboxEntry) => {
        seen.push(entry);
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (entry.snapshot.id === ids[1] && refused++ === 0) throw new Error('bus down');
      };
      const [first, second] = await Promise.all([outbox.drain(slowPublish, 10), outbox.drain(slowPublish, 10)]);
      expect(seen.map((entry) => entry.snapshot.id).sort()).toEqual([...ids].sort());
      expect(first.sent + second.sent).toBe(2);
      expect([first.error, second.error].filter(Boolean)).toEqual([new Error('bus down')]);

      const left = await dataSource.query(`SELECT export_id, attempts, publish_after > now() AS waiting FROM outbox WHERE export_id = ANY($1)`, [ids]);
      expect(left).toEqual([{ export_id: ids[1], attempts: 1, waiting: true }]);
      // Not due during its backoff.
      expect((await outbox.drain(async () => undefined, 10)).sent).toBe(0);
    });
  });
});
