import { CreatedAccount } from '@exports/database';
import {
  eventsByExport,
  exportRow,
  holdInTransaction,
  insertContacts,
  outboxDrained,
  TestStack,
  waitingOn,
  waitUntil,
} from '@exports/testing';
import { expectStoredFile, requestContactsExport } from './contacts-export-checks';

/**
 * SIGKILL of the export-worker at each point of a large export: before its first row,
 * mid-stream, after the upload but before the status write, and while the status write
 * waits. Every export must end COMPLETED with every row and the same checksum as an
 * export that nobody disturbed, with one object and one `completed` event.
 */
describe('export-worker SIGKILLed at every point of a large export (e2e)', () => {
  const ROWS = 400_000;
  // A longer ack wait than the stacks' 5 s: the stall limit (twice it) then outlasts what a busy
  // machine does to a 400,000-row export beside another suite; this suite is about kills, not stalls.
  const stack = new TestStack({ apps: ['api-gateway', 'export-worker'], env: { EXPORT_MAX_OPEN_PER_ACCOUNT: '50', EXPORT_ACK_WAIT_SECONDS: '10' } });
  let account: CreatedAccount;
  let reference: { sha256: string; sizeBytes: number; fileName?: string };
  const exportIds: string[] = [];
  let kills = 0;

  beforeAll(async () => {
    await stack.start();
    account = await stack.createAccount('big account');
    await insertContacts(stack, account.accountId, ROWS);
    // An undisturbed run gives the bytes every disturbed run must reproduce.
    const exportId = await requestExport();
    const done = await stack.waitForExport(account.apiKey, exportId, 120_000);
    expect(done).toMatchObject({ status: 'COMPLETED', rowCount: ROWS });
    reference = { sha256: done.sha256, sizeBytes: done.sizeBytes };
    await expectExactFile(exportId);
  });

  afterAll(async () => {
    process.stdout.write(`reliability-kill: ${kills} SIGKILLs, ${exportIds.length} exports of ${ROWS} rows\n`);
    await stack.stop();
  }, 60_000);

  const requestExport = () => requestContactsExport(stack, account, exportIds);

  async function killWorker(): Promise<void> {
    const [worker] = stack.instances('export-worker');
    expect((await stack.killInstance(worker, 'SIGKILL')).signal).toBe('SIGKILL');
    kills += 1;
  }

  /** COMPLETED, the reference bytes, every row once in order, and exactly one object under the export's prefix. */
  async function expectExactFile(exportId: string): Promise<void> {
    const { done, file } = await expectStoredFile(stack, account, exportId, ROWS, 120_000);
    expect(done).toMatchObject({ sizeBytes: reference.sizeBytes, sha256: reference.sha256 });
    expect(file.firstDataLine).toMatch(/^c-0000001,\+33610000001,/);
    expect(file.lastLine).toMatch(/^c-0400000,\+33610400000,/);
  }

  it('before the first row: the COPY waits on a table lock when the worker dies', async () => {
    const lock = await holdInTransaction(stack, 'LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE');
    let exportId: string;
    try {
      exportId = await requestExport();
      await waitUntil('COPY blocked behind the lock', async () => (await waitingOn(stack, lock.pid)).some((b) => b.query.startsWith('COPY')));
      expect(await exportRow(stack, exportId)).toMatchObject({ status: 'PENDING', attempts: 1, rows_exported: 0 });
      await killWorker();
    } finally {
      await lock.release();
    }
    expect(await stack.storage.listKeys(`${account.accountId}/${exportId}/`)).toEqual([]);
    await stack.startApp('export-worker');
    await expectExactFile(exportId);
    expect((await exportRow(stack, exportId)).attempts).toBe(2);
  });

  it('mid-stream: rows are flowing and no object exists yet when the worker dies', async () => {
    const exportId = await requestExport();
    await waitUntil('rows flowing', async () => (await exportRow(stack, exportId)).rows_exported > 0, 60_000, 20);
    await killWorker();
    const row = await exportRow(stack, exportId);
    expect(row).toMatchObject({ status: 'PENDING', attempts: 1 });
    expect(row.rows_exported).toBeGreaterThan(0);
    expect(row.rows_exported).toBeLessThan(ROWS);
    expect(await stack.storage.listKeys(`${account.accountId}/${exportId}/`)).toEqual([]);
    await stack.startApp('export-worker');
    await expectExactFile(exportId);
    expect((await exportRow(stack, exportId)).attempts).toBe(2);
  });

  it('after the upload, before the status write: the object is stored, the export still PENDING', async () => {
    const exportId = await requestExport();
    await waitUntil('attempt started', async () => (await exportRow(stack, exportId)).attempts >= 1, 60_000, 10);
    // The row lock lets the file be written but holds the PENDING → COMPLETED write.
    const rowLock = await holdInTransaction(stack, 'SELECT status FROM exports WHERE id = $1 FOR UPDATE', [exportId]);
    try {
      expect(rowLock.rows[0].status).toBe('PENDING');
      await waitUntil('object uploaded', async () => (await stack.storage.listKeys(`${account.accountId}/${exportId}/`)).length === 1, 60_000, 50);
      await killWorker();
      // The dead worker's statements still queued behind the lock never take effect: the write did not happen.
      for (const blocked of await waitingOn(stack, rowLock.pid)) await stack.query('SELECT pg_terminate_backend($1)', [blocked.pid]);
    } finally {
      await rowLock.release();
    }
    expect(await exportRow(stack, exportId)).toMatchObject({ status: 'PENDING', sha256: null });
    await stack.startApp('export-worker');
    await expectExactFile(exportId);
    expect((await exportRow(stack, exportId)).attempts).toBeGreaterThanOrEqual(2);
  });

  it('while the status write waits: whichever run writes it, the outcome is the same', async () => {
    const exportId = await requestExport();
    await waitUntil('attempt started', async () => (await exportRow(stack, exportId)).attempts >= 1, 60_000, 10);
    const rowLock = await holdInTransaction(stack, 'SELECT status FROM exports WHERE id = $1 FOR UPDATE', [exportId]);
    try {
      await waitUntil('object uploaded', async () => (await stack.storage.listKeys(`${account.accountId}/${exportId}/`)).length === 1, 60_000, 50);
      await waitUntil('status write waiting', async () => (await waitingOn(stack, rowLock.pid)).some((b) => /status = 'COMPLETED'/.test(b.query)), 60_000, 50);
      await killWorker();
    } finally {
      await rowLock.release();
    }
    await stack.startApp('export-worker');
    await expectExactFile(exportId);
  });

  it('publishes exactly one completed event per export, the export resource, and leaves no stray object', async () => {
    await outboxDrained(stack);
    const events = await eventsByExport(stack);
    for (const exportId of exportIds) {
      const own = events.get(exportId) ?? [];
      expect(own.map((e) => e.subject)).toEqual(['exports.events.completed']);
      expect(own[0].data).toMatchObject({ exportId, type: 'CONTACTS', status: 'COMPLETED', rowCount: ROWS, sha256: reference.sha256, sizeBytes: reference.sizeBytes });
    }
    expect([...events.keys()].sort()).toEqual([...exportIds].sort());
    const rows = await stack.query<{ object_key: string }>(`SELECT object_key FROM exports WHERE status = 'COMPLETED' ORDER BY object_key`);
    expect(rows).toHaveLength(exportIds.length);
    expect((await stack.storage.listKeys('')).sort()).toEqual(rows.map((r) => r.object_key).sort());
  });
});
