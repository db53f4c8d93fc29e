import { CreatedAccount } from '@exports/database';
import { cancelledRunStopped, exportRow, insertMessages, storedUnder, TestStack, waitUntil } from '@exports/testing';

const PATH = '/messages/history/export';
const RANGE = { startDateTime: '2026-01-01T00:00:00Z', endDateTime: '2026-01-31T00:00:00Z' };

/**
 * A message-history export is produced by history-service, not export-worker: a cancel reaches
 * its run the same way (history-service instances hear the broadcast) and leaves nothing behind.
 */
describe('message history export cancel (e2e)', () => {
  const MESSAGES = 300_000;
  const PART_ROWS = 30_000;
  const stack = new TestStack({ apps: ['api-gateway', 'history-service'], env: { EXPORT_ACK_WAIT_SECONDS: '10' } });
  let account: CreatedAccount;

  beforeAll(async () => {
    await stack.start();
    account = await stack.createAccount('300,000 messages');
    await insertMessages(stack, account.accountId, MESSAGES);
  }, 180_000);

  afterAll(() => stack.stop(), 60_000);

  it('stops the run on history-service within 2 s of the answer, and leaves no object or upload', async () => {
    const created = await stack.http('POST', PATH, { apiKey: account.apiKey, body: { ...RANGE, maxRowsPerFile: PART_ROWS } });
    expect(created.status).toBe(202);
    const exportId = created.body.exportId;
    await waitUntil('a first part stored', async () => (await storedUnder(stack, account.accountId, exportId)).objects.length > 0, 120_000, 20);
    expect(await exportRow(stack, exportId)).toMatchObject({ status: 'PENDING', attempts: 1 });

    const answer = await stack.http('POST', `/exports/${exportId}/cancel`, { apiKey: account.apiKey });
    const answeredAt = Date.now();
    expect(answer).toMatchObject({ status: 200, body: { exportId, type: 'MESSAGE_HISTORY', status: 'CANCELLED' } });

    const stop = await cancelledRunStopped(stack, 'history-service', exportId);
    const tookMs = Date.parse(stop.time) - answeredAt;
    process.stdout.write(`history-export-cancel: run stopped ${tookMs} ms after the cancel answer (seen by ${stop.seenBy})\n`);
    expect(stop.seenBy).toBe('broadcast');
    expect(tookMs).toBeLessThan(2000);
    expect(await storedUnder(stack, account.accountId, exportId)).toEqual({ objects: [], uploads: [] });
    const row = await exportRow(stack, exportId);
    expect(row).toMatchObject({ status: 'CANCELLED', attempts: 1, object_key: null });
    expect(row.rows_exported).toBeLessThan(MESSAGES);
  });
});
