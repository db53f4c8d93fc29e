import { CreatedAccount } from '@exports/database';
import { eventsByExport, exportRow, insertContacts, outboxDrained, TestStack, waitUntil } from '@exports/testing';
import { expectStoredFile, requestContactsExport } from './contacts-export-checks';

/**
 * The S3 server goes away: runs are retried, then the export is FAILED with
 * STORAGE_UNAVAILABLE; it is never COMPLETED without its file, and a re-run after the
 * storage is back produces it. The stack runs an S3 server of its own, which the test stops.
 */
describe('object storage unavailable (e2e)', () => {
  const ROWS = 300_000;
  // Small parts: the upload is under way while rows stream, so S3 can be lost mid-upload.
  const stack = new TestStack({ apps: ['api-gateway', 'export-worker'], ownS3: true, env: { EXPORT_MAX_OPEN_PER_ACCOUNT: '50', S3_PART_SIZE_MB: '5' } });
  let account: CreatedAccount;
  const exportIds: string[] = [];
  let s3Stops = 0;
  let restoreEvents = async (): Promise<void> => undefined;

  beforeAll(async () => {
    await stack.start();
    account = await stack.createAccount('storage account');
    await insertContacts(stack, account.accountId, ROWS);
  });

  afterAll(async () => {
    process.stdout.write(`reliability-storage: ${s3Stops} S3 stops, ${exportIds.length} exports\n`);
    await stack.startS3().catch(() => undefined);
    await restoreEvents().catch(() => undefined);
    await stack.stop();
  }, 60_000);

  const requestExport = () => requestContactsExport(stack, account, exportIds);

  async function expectFile(exportId: string): Promise<void> {
    await expectStoredFile(stack, account, exportId, ROWS);
  }

  it('retries while S3 is down, then FAILS with STORAGE_UNAVAILABLE; a re-run once it is back completes', async () => {
    // Without its events stream the relay keeps the events in the outbox: the `failed` event is
    // published only after the re-run has begun, and must still describe the failure.
    const jsm = await (await stack.natsConnection()).jetstreamManager();
    const eventsStream = stack.namespace.stream('exportEvents');
    await jsm.streams.delete(eventsStream.name);
    let streamBack = false;
    const restoreStream = (restoreEvents = async () => {
      if (streamBack) return;
      streamBack = true;
      await jsm.streams.add({ name: eventsStream.name, subjects: eventsStream.subjects });
    });
    await stack.stopS3();
    s3Stops += 1;
    let failed: any;
    try {
      const ready = await stack.ops('api-gateway', '/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.checks.storage).not.toBe('ok');
      const exportId = await requestExport();
      failed = await stack.waitForExport(account.apiKey, exportId, 120_000);
    } finally {
      await stack.startS3();
    }
    expect(failed).toMatchObject({ status: 'FAILED', isAvailableForDownload: false, error: { code: 'STORAGE_UNAVAILABLE', message: expect.stringContaining('3 attempt(s)') } });
    expect(failed.sha256).toBeUndefined();
    expect(await exportRow(stack, failed.exportId)).toMatchObject({ attempts: 3, object_key: null });
    expect(await stack.storage.listKeys(`${account.accountId}/${failed.exportId}/`)).toEqual([]);
    // GET answers the FAILED export as it is: its error, no link.
    const read = await stack.http('GET', `/exports/${failed.exportId}`, { apiKey: account.apiKey });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(failed);
    expect(read.body.downloadUrl).toBeUndefined();
    expect(stack.logsOf('export-worker').filter((l) => l.includes('Export attempt failed') && l.includes(failed.exportId))).toHaveLength(3);

    try {
      expect((await stack.query(`SELECT count(*)::int AS n FROM outbox WHERE kind = 'failed'`))[0].n).toBe(1);
      const rerun = await stack.http('POST', `/exports/${failed.exportId}`, { apiKey: account.apiKey });
      expect(rerun.status).toBe(202);
    } finally {
      await restoreStream();
    }
    await expectFile(failed.exportId);
  });

  it('S3 lost while the file streams, then back: the run is retried and the export completes with its file', async () => {
    const exportId = await requestExport();
    await waitUntil('rows flowing', async () => (await exportRow(stack, exportId)).rows_exported > 0, 60_000, 20);
    await stack.stopS3();
    s3Stops += 1;
    try {
      await waitUntil('attempt failed', () => stack.logsOf('export-worker').some((l) => l.includes('Export attempt failed') && l.includes(exportId)), 60_000, 20);
    } finally {
      await stack.startS3();
    }
    expect((await exportRow(stack, exportId)).status).toBe('PENDING');
    await expectFile(exportId);
    expect((await exportRow(stack, exportId)).attempts).toBeGreaterThanOrEqual(2);
  });

  it('no export is COMPLETED without its object; one event per outcome', async () => {
    await outboxDrained(stack);
    const completed = await stack.query<{ id: string; object_key: string; size_bytes: string }>(`SELECT id, object_key, size_bytes FROM exports WHERE status = 'COMPLETED'`);
    expect(completed).toHaveLength(exportIds.length);
    for (const row of completed) expect(await stack.storage.stat(row.object_key)).toEqual({ size: Number(row.size_bytes) });
    const events = await eventsByExport(stack);
    // The first export failed, was re-run and completed; the second completed.
    expect(events.get(exportIds[0])!.map((e) => e.subject)).toEqual(['exports.events.failed', 'exports.events.completed']);
    expect(events.get(exportIds[0])![0].data).toMatchObject({ exportId: exportIds[0], status: 'FAILED', error: { code: 'STORAGE_UNAVAILABLE' } });
    expect(events.get(exportIds[1])!.map((e) => e.subject)).toEqual(['exports.events.completed']);
  });
});
