import { randomUUID } from 'node:crypto';
import { NatsConnection } from 'nats';
import { accountSubject, Consumers, ExportType, Subjects } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { NatsRole } from '@exports/platform';
import { cancelledRunStopped, downloadExport, eventsByExport, exportRow, insertContacts, outboxDrained, storedUnder, TestStack, waitUntil } from '@exports/testing';

/**
 * Cancel, over the real apps: a PENDING export becomes CANCELLED at once (HTTP and NATS
 * `exports.cancel`), frees its place under the open-exports cap, and is never run; a run in
 * progress on either of two workers stops within 2 s, told by the broadcast or, when that is
 * missed, by its heartbeat, and leaves nothing in the bucket; a regenerate runs it again.
 */
describe('export cancel (e2e)', () => {
  const BIG = 600_000;
  const PART_ROWS = 100_000;
  // Two workers: the broadcast must reach whichever holds the run. A cap of 2 to reach it quickly.
  const stack = new TestStack({ apps: ['api-gateway', 'export-worker'], env: { EXPORT_MAX_OPEN_PER_ACCOUNT: '2', EXPORT_ACK_WAIT_SECONDS: '10' } });
  let a: CreatedAccount;
  let b: CreatedAccount;
  let big: CreatedAccount;
  /** Exports cancelled through the API, each owing exactly one cancelled event. */
  const cancelledByApi: string[] = [];
  let queuedBehindCap: string;
  /** An export of A left PENDING while no worker runs. */
  let leftPending: string;
  let bigExport: string;

  beforeAll(async () => {
    await stack.start();
    await stack.startApp('export-worker');
    a = await stack.createAccount('A');
    b = await stack.createAccount('B');
    big = await stack.createAccount('600,000 contacts');
    await insertContacts(stack, a.accountId, 25);
    await insertContacts(stack, big.accountId, BIG);
  }, 180_000);

  afterAll(() => stack.stop(), 60_000);

  const create = (account: CreatedAccount, body: object = {}) => stack.http('POST', '/exports/contacts', { apiKey: account.apiKey, body });
  const cancel = (account: CreatedAccount, exportId: string) => stack.http('POST', `/exports/${exportId}/cancel`, { apiKey: account.apiKey });
  const prefixOf = (account: CreatedAccount, exportId: string) => `${account.accountId}/${exportId}/`;

  /** A request in Nest's packet format on `subject` for `accountId`. */
  async function request(nc: NatsConnection, subject: string, accountId: string, data: Record<string, unknown>): Promise<{ response?: any; err?: any }> {
    const scoped = stack.namespace.subject(accountSubject(subject, accountId));
    const reply = await nc.request(scoped, JSON.stringify({ pattern: scoped, data, id: randomUUID() }), { timeout: 5000 });
    return JSON.parse(reply.string());
  }

  /** Nothing of the export in the bucket: no object, no multipart upload in progress. */
  async function expectNothingStored(account: CreatedAccount, exportId: string): Promise<void> {
    expect(await storedUnder(stack, account.accountId, exportId)).toEqual({ objects: [], uploads: [] });
  }

  /** Every run message the workers took is acked: none waits for a redelivery. */
  async function runsSettled(): Promise<void> {
    const jsm = await (await stack.natsConnection()).jetstreamManager();
    const durable = stack.namespace.consumer(Consumers.exportRuns('export-worker', ExportType.Contacts));
    await waitUntil('every run message acked', async () => {
      const info = await jsm.consumers.info(stack.namespace.stream('exports').name, durable);
      return info.num_ack_pending === 0 && info.num_pending === 0;
    });
  }

  /** One more export of account A, run to COMPLETED. */
  async function finished(): Promise<string> {
    const created = await create(a);
    expect(created.status).toBe(202);
    expect(await stack.waitForExport(a.apiKey, created.body.exportId)).toMatchObject({ status: 'COMPLETED' });
    return created.body.exportId;
  }

  /** A big export, in parts, caught mid-run: a first part stored and the run still PENDING, its attempt on a worker. */
  async function bigExportMidRun(): Promise<string> {
    const created = await create(big, { maxRowsPerFile: PART_ROWS });
    expect(created.status).toBe(202);
    const exportId = created.body.exportId;
    await waitUntil('a first part stored', async () => (await stack.storage.listKeys(prefixOf(big, exportId))).length > 0, 120_000, 20);
    expect(await exportRow(stack, exportId)).toMatchObject({ status: 'PENDING', attempts: 1 });
    return exportId;
  }

  describe('while no worker runs', () => {
    beforeAll(() => stack.kill('export-worker'), 60_000);

    it('cancels a PENDING export that no worker has started, frees its place under the cap, and refuses a second cancel', async () => {
      const first = (await create(a)).body.exportId;
      const second = (await create(a)).body.exportId;
      leftPending = second;
      const capped = await create(a);
      expect(capped).toMatchObject({ status: 429, body: { code: 'TOO_MANY_OPEN_EXPORTS' } });

      const cancelled = await cancel(a, first);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ exportId: first, status: 'CANCELLED', isAvailableForDownload: false, progress: { rowsExported: 0 } });
      expect(Date.parse(cancelled.body.cancelledAt)).not.toBeNaN();
      cancelledByApi.push(first);
      expect((await stack.http('GET', `/exports/${first}`, { apiKey: a.apiKey })).body).toMatchObject({ status: 'CANCELLED', cancelledAt: cancelled.body.cancelledAt });
      expect((await stack.http('GET', '/exports?status=CANCELLED', { apiKey: a.apiKey })).body.items.map((item: { exportId: string }) => item.exportId)).toEqual([first]);

      // Its slot is free at once.
      const admitted = await create(a);
      expect(admitted.status).toBe(202);
      queuedBehindCap = admitted.body.exportId;

      const again = await cancel(a, first);
      expect(again).toMatchObject({ status: 409, body: { code: 'EXPORT_NOT_CANCELLABLE', exportStatus: 'CANCELLED', message: 'The export is CANCELLED: only a PENDING export can be cancelled' } });
      expect(await exportRow(stack, first)).toMatchObject({ status: 'CANCELLED', attempts: 0 });
      expect(await exportRow(stack, second)).toMatchObject({ status: 'PENDING' });
    });

    it("answers 404 for an unknown export, another account's, and an id that is not one; 401 without a key", async () => {
      const [pending] = (await stack.http('GET', '/exports?status=PENDING', { apiKey: a.apiKey })).body.items;
      for (const exportId of [randomUUID(), pending.exportId, 'not-an-id']) {
        expect(await cancel(b, exportId)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
      }
      expect((await stack.http('POST', `/exports/${pending.exportId}/cancel`)).status).toBe(401);
      expect(await exportRow(stack, pending.exportId)).toMatchObject({ status: 'PENDING' });
    });

    it("exports.cancel cancels for the caller's account only: other accounts are out of its permissions, mismatches refused", async () => {
      const requesterA = await stack.natsCaller('crm-requester-a', NatsRole.Requester, [a.accountId]);
      const readerA = await stack.natsCaller('crm-reader-a', NatsRole.Reader, [a.accountId]);
      const target = queuedBehindCap;
      const created = await create(b);
      expect(created.status).toBe(202);
      const exportOfB = created.body.exportId;

      await expect(request(requesterA, Subjects.requests.exportsCancel, b.accountId, { accountId: b.accountId, exportId: exportOfB })).rejects.toMatchObject({ code: 'PERMISSIONS_VIOLATION' });
      await expect(request(readerA, Subjects.requests.exportsCancel, a.accountId, { accountId: a.accountId, exportId: target })).rejects.toMatchObject({ code: 'PERMISSIONS_VIOLATION' });
      expect((await request(requesterA, Subjects.requests.exportsCancel, a.accountId, { accountId: b.accountId, exportId: exportOfB })).err).toMatchObject({ status: 403, code: 'ACCOUNT_MISMATCH' });
      expect((await request(requesterA, Subjects.requests.exportsCancel, a.accountId, { accountId: a.accountId, exportId: exportOfB })).err).toMatchObject({ status: 404, code: 'NOT_FOUND' });
      expect((await request(requesterA, Subjects.requests.exportsCancel, a.accountId, { accountId: a.accountId })).err).toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
        details: [expect.objectContaining({ field: 'exportId' })],
      });
      expect(await exportRow(stack, exportOfB)).toMatchObject({ status: 'PENDING' });

      const done = await request(requesterA, Subjects.requests.exportsCancel, a.accountId, { accountId: a.accountId, exportId: target });
      expect(done.response).toMatchObject({ exportId: target, status: 'CANCELLED' });
      cancelledByApi.push(target);
      expect((await request(requesterA, Subjects.requests.exportsCancel, a.accountId, { accountId: a.accountId, exportId: target })).err).toMatchObject({
        status: 409,
        code: 'EXPORT_NOT_CANCELLABLE',
        exportStatus: 'CANCELLED',
      });
    });
  });

  it('never runs a cancelled export once workers are back; the others complete, and COMPLETED, EXPIRED or FAILED answer 409', async () => {
    await stack.startApp('export-worker');
    await stack.startApp('export-worker');
    expect(await stack.waitForExport(a.apiKey, leftPending)).toMatchObject({ status: 'COMPLETED', rowCount: 25 });
    await runsSettled();
    for (const exportId of cancelledByApi) {
      expect(await exportRow(stack, exportId)).toMatchObject({ status: 'CANCELLED', attempts: 0, run: 1 });
      await expectNothingStored(a, exportId);
    }

    const completed = leftPending;
    const expired = await finished();
    const failed = await finished();
    await stack.query(`UPDATE exports SET link_expires_at = now() - interval '1 second' WHERE id = $1`, [expired]);
    await stack.query(`UPDATE exports SET status = 'FAILED', error_code = 'INTERNAL', error_message = 'failed' WHERE id = $1`, [failed]);
    for (const [exportId, status] of [
      [completed, 'COMPLETED'],
      [expired, 'EXPIRED'],
      [failed, 'FAILED'],
    ]) {
      expect(await cancel(a, exportId)).toMatchObject({ status: 409, body: { code: 'EXPORT_NOT_CANCELLABLE', exportStatus: status } });
    }
    expect((await exportRow(stack, completed)).status).toBe('COMPLETED');
  });

  it('stops a large export mid-run within 2 s of the answer, on whichever worker holds it, and leaves nothing in the bucket', async () => {
    bigExport = await bigExportMidRun();
    const answer = await cancel(big, bigExport);
    const answeredAt = Date.now();
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ exportId: bigExport, status: 'CANCELLED' });
    cancelledByApi.push(bigExport);

    const stop = await cancelledRunStopped(stack, 'export-worker', bigExport);
    const tookMs = Date.parse(stop.time) - answeredAt;
    process.stdout.write(`export-cancel: run stopped ${tookMs} ms after the cancel answer (seen by ${stop.seenBy})\n`);
    expect(stop).toMatchObject({ seenBy: 'broadcast', run: 1 });
    expect(tookMs).toBeLessThan(2000);

    await expectNothingStored(big, bigExport);
    await runsSettled();
    const row = await exportRow(stack, bigExport);
    expect(row).toMatchObject({ status: 'CANCELLED', attempts: 1, run: 1, object_key: null, error_code: null });
    expect(row.rows_exported).toBeLessThan(BIG);
    // The COPY is over too: its connection was dropped with the run.
    await waitUntil('no COPY left', async () => (await stack.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY%'`)).length === 0);
  });

  it('stops a run whose broadcast was missed at its next heartbeat', async () => {
    const exportId = await bigExportMidRun();
    // As a gateway that died between its commit and its broadcast would leave it.
    const [{ at }] = await stack.query<{ at: Date }>(`UPDATE exports SET status = 'CANCELLED', cancelled_at = now(), heartbeat_at = NULL WHERE id = $1 RETURNING clock_timestamp() AS at`, [exportId]);
    const stop = await cancelledRunStopped(stack, 'export-worker', exportId);
    const tookMs = Date.parse(stop.time) - at.getTime();
    process.stdout.write(`export-cancel: run stopped ${tookMs} ms after a cancel without broadcast (seen by ${stop.seenBy})\n`);
    expect(stop).toMatchObject({ seenBy: 'heartbeat', run: 1 });
    await expectNothingStored(big, exportId);
    await runsSettled();
    expect(await exportRow(stack, exportId)).toMatchObject({ status: 'CANCELLED', attempts: 1 });
  });

  it('runs a CANCELLED export again on regenerate, to COMPLETED with every row, and only the files of the new run stored', async () => {
    const regenerated = await stack.http('POST', `/exports/${bigExport}`, { apiKey: big.apiKey });
    expect(regenerated.status).toBe(202);
    expect(regenerated.body).toMatchObject({ exportId: bigExport, status: 'PENDING' });
    expect(regenerated.body.cancelledAt).toBeUndefined();
    const done = await stack.waitForExport(big.apiKey, bigExport, 180_000);
    expect(done).toMatchObject({ status: 'COMPLETED', rowCount: BIG });
    expect(done.files).toHaveLength(BIG / PART_ROWS);
    const row = await stack.query<{ run: number; keys: string[] }>(`SELECT run, array(SELECT f->>'objectKey' FROM jsonb_array_elements(files) f ORDER BY (f->>'part')::int) AS keys FROM exports WHERE id = $1`, [bigExport]);
    expect(row[0].run).toBe(2);
    expect((await stack.storage.listKeys(prefixOf(big, bigExport))).sort()).toEqual([...row[0].keys].sort());

    // The small cancelled export of A, regenerated: its one file, byte for byte what was asked.
    const [small] = cancelledByApi;
    expect((await stack.http('POST', `/exports/${small}`, { apiKey: a.apiKey })).status).toBe(202);
    expect(await stack.waitForExport(a.apiKey, small)).toMatchObject({ status: 'COMPLETED', rowCount: 25 });
    const { files } = await downloadExport(stack, a.apiKey, small);
    const lines = files[0].text.trimEnd().split('\n');
    expect(lines).toHaveLength(26);
    expect(lines[1]).toMatch(/^c-0000001,\+33610000001,/);
    expect(lines[25]).toMatch(/^c-0000025,\+33610000025,/);
  });

  it('puts one exports.events.cancelled per cancel on EXPORT_EVENTS, with the export as cancelled', async () => {
    await outboxDrained(stack);
    const events = await eventsByExport(stack);
    for (const exportId of cancelledByApi) {
      const own = events.get(exportId) ?? [];
      const cancelled = own.filter((event) => event.subject === 'exports.events.cancelled');
      expect(cancelled).toHaveLength(1);
      expect(cancelled[0].data).toMatchObject({ exportId, status: 'CANCELLED', isAvailableForDownload: false, cancelledAt: expect.any(String) });
    }
    // A regenerated one: cancelled, then completed, in that order, once each.
    expect((events.get(bigExport) ?? []).map((event) => event.subject)).toEqual(['exports.events.cancelled', 'exports.events.completed']);
  });
});
