import { ChildProcess } from 'node:child_process';
import { CreatedAccount } from '@exports/database';
import { eventsByExport, exportRow, holdInTransaction, insertContacts, outboxDrained, TestStack, waitingOn, waitUntil } from '@exports/testing';
import { expectStoredFile, requestContactsExport } from './contacts-export-checks';

/**
 * SIGTERM on a worker mid-export: it stops taking work, finishes the run within
 * EXPORT_SHUTDOWN_GRACE_SECONDS or hands it back (nak, attempt given back), closes its
 * connections and exits 0; the export ends COMPLETED, never PENDING forever.
 */
describe('export-worker graceful shutdown (e2e)', () => {
  const ROWS = 300_000;
  const stack = new TestStack({ apps: ['api-gateway'], env: { EXPORT_MAX_OPEN_PER_ACCOUNT: '50' } });
  let account: CreatedAccount;
  let sigterms = 0;
  const exportIds: string[] = [];

  beforeAll(async () => {
    await stack.start();
    account = await stack.createAccount('shutdown account');
    await insertContacts(stack, account.accountId, ROWS);
  });

  afterAll(async () => {
    process.stdout.write(`reliability-shutdown: ${sigterms} SIGTERMs, ${exportIds.length} exports\n`);
    await stack.stop();
  }, 60_000);

  const requestExport = () => requestContactsExport(stack, account, exportIds);

  async function expectExactFile(exportId: string): Promise<any> {
    return (await expectStoredFile(stack, account, exportId, ROWS)).done;
  }

  /** The next worker counts one attempt, plus one per attempt of its own that failed (a busy machine can stall one). */
  const failedAttempts = (worker: ChildProcess, exportId: string) => mentions(stack.logsOfInstance(worker), 'Export attempt failed', exportId).length;

  const mentions = (lines: string[], text: string, exportId?: string) => lines.filter((l) => l.includes(`"message":"${text}"`) && (!exportId || l.includes(exportId)));

  it('within the grace period: takes no new work, finishes the run, closes its connections and exits 0', async () => {
    // One run at a time per type: the loop that runs the export is the one that would take the next.
    const worker = await stack.startApp('export-worker', { EXPORT_CONCURRENCY: '1', EXPORT_SHUTDOWN_GRACE_SECONDS: '60' });
    const first = await requestExport();
    await waitUntil('rows flowing', async () => (await exportRow(stack, first)).rows_exported > 0, 60_000, 20);
    const exited = stack.killInstance(worker, 'SIGTERM', 90_000);
    sigterms += 1;
    const lines = stack.logsOfInstance(worker);
    await waitUntil('shutdown started', () => mentions(lines, 'Shutting down').length === 1);
    const second = await requestExport();
    expect(await exited).toEqual({ code: 0, signal: null });

    expect(mentions(lines, 'Export completed', first)).toHaveLength(1);
    expect(lines.filter((l) => l.includes(second))).toEqual([]);
    expect(mentions(lines, 'Connections closed')).toHaveLength(1);
    const order = ['Shutting down', 'Export completed', 'Connections closed'].map((m) => lines.findIndex((l) => l.includes(`"message":"${m}"`)));
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    expect(await exportRow(stack, first)).toMatchObject({ status: 'COMPLETED', attempts: 1 });
    expect(await exportRow(stack, second)).toMatchObject({ status: 'PENDING', attempts: 0 });

    // The next worker takes the export the stopping one left on the bus.
    const next = await stack.startApp('export-worker');
    await expectExactFile(first);
    await expectExactFile(second);
    expect((await exportRow(stack, second)).attempts).toBe(1 + failedAttempts(next, second));
    await stack.kill('export-worker', 'SIGTERM');
  });

  it('past the grace period: the stuck run is handed back with its attempt given back, and another worker completes it', async () => {
    const worker = await stack.startApp('export-worker', { EXPORT_SHUTDOWN_GRACE_SECONDS: '1' });
    const lock = await holdInTransaction(stack, 'LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE');
    let exportId: string;
    try {
      exportId = await requestExport();
      await waitUntil('COPY blocked behind the lock', async () => (await waitingOn(stack, lock.pid)).some((b) => b.query.startsWith('COPY')));
      expect(await exportRow(stack, exportId)).toMatchObject({ status: 'PENDING', attempts: 1 });
      // The run cannot finish while the lock is held: the worker must give it back and still exit cleanly.
      expect(await stack.killInstance(worker, 'SIGTERM', 90_000)).toEqual({ code: 0, signal: null });
      sigterms += 1;
      const lines = stack.logsOfInstance(worker);
      expect(mentions(lines, 'Export handed back for another worker', exportId)).toHaveLength(1);
      expect(mentions(lines, 'Connections closed')).toHaveLength(1);
      expect(await exportRow(stack, exportId)).toMatchObject({ status: 'PENDING', attempts: 0 });
    } finally {
      await lock.release();
    }
    const next = await stack.startApp('export-worker');
    await expectExactFile(exportId);
    expect((await exportRow(stack, exportId)).attempts).toBe(1 + failedAttempts(next, exportId));
    await stack.kill('export-worker', 'SIGTERM');
  });

  it('mid-stream with a short grace: finished or handed back, the export completes once with its attempt counted once', async () => {
    const worker = await stack.startApp('export-worker', { EXPORT_SHUTDOWN_GRACE_SECONDS: '0' });
    const exportId = await requestExport();
    await waitUntil('rows flowing', async () => (await exportRow(stack, exportId)).rows_exported > 0, 60_000, 20);
    expect(await stack.killInstance(worker, 'SIGTERM', 90_000)).toEqual({ code: 0, signal: null });
    sigterms += 1;
    const lines = stack.logsOfInstance(worker);
    const handedBack = mentions(lines, 'Export handed back for another worker', exportId).length;
    expect(handedBack + mentions(lines, 'Export completed', exportId).length).toBe(1);
    // The stopped attempt is given back (PENDING, 0 attempts) or it finished (COMPLETED, 1 attempt).
    expect(await exportRow(stack, exportId)).toMatchObject(handedBack ? { status: 'PENDING', attempts: 0 } : { status: 'COMPLETED', attempts: 1 });
    const next = await stack.startApp('export-worker');
    await expectExactFile(exportId);
    expect((await exportRow(stack, exportId)).attempts).toBe(1 + (handedBack ? failedAttempts(next, exportId) : 0));
  });

  it('one completed event per export', async () => {
    await outboxDrained(stack);
    const events = await eventsByExport(stack);
    for (const exportId of exportIds) expect((events.get(exportId) ?? []).map((e) => e.subject)).toEqual(['exports.events.completed']);
  });
});
