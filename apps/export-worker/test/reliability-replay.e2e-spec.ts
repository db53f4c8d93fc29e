import { randomUUID } from 'node:crypto';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { accountSubject, Consumers, ExportType, Subjects } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { download, eventsByExport, exportRow, insertContacts, outboxDrained, TestStack, waitUntil } from '@exports/testing';

/** The same request and the same events, many times over: one export, one file, one completion event. */
describe('replayed requests and events (e2e)', () => {
  const ROWS = 50_000;
  const stack = new TestStack({ apps: ['api-gateway', 'export-worker'], env: { EXPORT_MAX_OPEN_PER_ACCOUNT: '100', RATE_LIMIT_REQUESTS: '100000' } });
  let account: CreatedAccount;
  let rpc: ClientProxy;
  const replays = { http: 0, rpc: 0, runMessages: 0, ingestion: 0, regenerate: 0 };
  const exportIds = new Set<string>();

  beforeAll(async () => {
    await stack.start();
    account = await stack.createAccount('replay account');
    await insertContacts(stack, account.accountId, ROWS);
    rpc = ClientProxyFactory.create({ transport: Transport.NATS, options: stack.natsOptions() });
    await rpc.connect();
  });

  afterAll(async () => {
    process.stdout.write(`reliability-replay: ${JSON.stringify(replays)} replays, ${exportIds.size} exports\n`);
    await rpc?.close();
    await stack.stop();
  }, 60_000);

  const completedLines = (exportId: string) => stack.logsOf('export-worker').filter((l) => l.includes('"message":"Export completed"') && l.includes(exportId));

  it('the same POST with one Idempotency-Key, 30 times (10 at once), and over exports.create: one export', async () => {
    const key = `replay-${randomUUID()}`;
    const post = () => stack.http('POST', '/exports/contacts', { apiKey: account.apiKey, body: { listIds: ['list-1'] }, headers: { 'Idempotency-Key': key } });
    const responses = await Promise.all(Array.from({ length: 10 }, post));
    for (let i = 0; i < 20; i++) responses.push(await post());
    replays.http += responses.length - 1;
    const ids = new Set(responses.map((r) => r.body.exportId));
    expect(ids.size).toBe(1);
    expect(responses.filter((r) => r.status === 202)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(29);
    const [exportId] = ids;
    exportIds.add(exportId);

    for (let i = 0; i < 10; i++) {
      const again = await firstValueFrom(
        rpc.send(stack.namespace.subject(accountSubject(Subjects.requests.exportsCreate, account.accountId)), { accountId: account.accountId, type: 'CONTACTS', request: { listIds: ['list-1'] }, idempotencyKey: key }),
      );
      expect(again.exportId).toBe(exportId);
      replays.rpc += 1;
    }
    expect((await stack.query(`SELECT count(*)::int AS n FROM exports WHERE idempotency_key = $1`, [key]))[0].n).toBe(1);
    const done = await stack.waitForExport(account.apiKey, exportId);
    expect(done).toMatchObject({ status: 'COMPLETED', rowCount: ROWS / 10 });
    expect(completedLines(exportId)).toHaveLength(1);
  });

  it('the run message delivered 25 more times, during and after the run: one file, one completion', async () => {
    const created = await stack.http('POST', '/exports/contacts', { apiKey: account.apiKey, body: {} });
    const exportId = created.body.exportId;
    exportIds.add(exportId);
    const run = { exportId, accountId: account.accountId, type: 'CONTACTS', run: 1 };
    // As JetStream would redeliver it (new message ids), and as a relay would re-publish it (same id).
    for (let i = 0; i < 10; i++) await stack.publishFor(run.accountId, Subjects.exportRequested.CONTACTS, run, `redelivery-${exportId}-${i}`);
    for (let i = 0; i < 5; i++) await stack.publishFor(run.accountId, Subjects.exportRequested.CONTACTS, run, `republish-${exportId}`);
    const done = await stack.waitForExport(account.apiKey, exportId);
    expect(done).toMatchObject({ status: 'COMPLETED', rowCount: ROWS });
    for (let i = 10; i < 20; i++) await stack.publishFor(run.accountId, Subjects.exportRequested.CONTACTS, run, `redelivery-${exportId}-${i}`);
    replays.runMessages += 25;
    const consumer = await (await stack.natsConnection()).jetstreamManager();
    await waitUntil('every run message handled', async () => {
      const info = await consumer.consumers.info(stack.namespace.stream('exports').name, stack.namespace.consumer(Consumers.exportRuns('export-worker', ExportType.Contacts)));
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });

    expect(completedLines(exportId)).toHaveLength(1);
    const after = await stack.findExport(account.apiKey, exportId);
    expect(after).toMatchObject({ status: 'COMPLETED', sha256: done.sha256, completedAt: done.completedAt });
    expect(await stack.storage.listKeys(`${account.accountId}/${exportId}/`)).toEqual([(await exportRow(stack, exportId)).object_key]);
    const link = await stack.http('GET', `/exports/${exportId}`, { apiKey: account.apiKey });
    expect(await download(link.body.downloadUrl)).toMatchObject({ sha256: done.sha256, lines: ROWS + 1 });
  });

  it('the same contact event 50 times: one contact, exported once', async () => {
    const contact = { id: 'z-replayed', email: 'replayed@example.com', firstName: 'Once', createdAt: '2026-03-01T00:00:00Z', updatedAt: '2026-03-02T00:00:00Z' };
    for (let i = 0; i < 50; i++) {
      await stack.publishFor(account.accountId, Subjects.platform.contactsUpserted, { accountId: account.accountId, contact }, i % 2 ? undefined : `contact-${i}`);
      replays.ingestion += 1;
    }
    const marker = { id: 'z-marker', email: 'marker@example.com', createdAt: '2026-03-01T00:00:00Z', updatedAt: '2026-03-02T00:00:00Z' };
    await stack.publishFor(account.accountId, Subjects.platform.contactsUpserted, { accountId: account.accountId, contact: marker });
    await waitUntil('marker ingested', async () => (await stack.query(`SELECT count(*)::int AS n FROM contacts WHERE id = 'z-marker'`))[0].n === 1);
    expect((await stack.query(`SELECT count(*)::int AS n FROM contacts WHERE account_id = $1 AND id = 'z-replayed'`, [account.accountId]))[0].n).toBe(1);

    const created = await stack.http('POST', '/exports/contacts', { apiKey: account.apiKey, body: { contactIds: ['z-replayed'] } });
    exportIds.add(created.body.exportId);
    expect(await stack.waitForExport(account.apiKey, created.body.exportId)).toMatchObject({ status: 'COMPLETED', rowCount: 1 });
  });

  it('POST /exports/{id} 20 times on a COMPLETED export: fresh links, no new run, no new event', async () => {
    const [exportId] = exportIds;
    const before = await exportRow(stack, exportId);
    for (let i = 0; i < 20; i++) {
      const renewed = await stack.http('POST', `/exports/${exportId}`, { apiKey: account.apiKey });
      expect(renewed.status).toBe(200);
      expect(renewed.body.sha256).toBe(before.sha256);
      replays.regenerate += 1;
    }
    expect(await exportRow(stack, exportId)).toMatchObject({ run: before.run, attempts: before.attempts, status: 'COMPLETED' });
  });

  it('one completion event per export and one object per export, whatever was replayed', async () => {
    await outboxDrained(stack);
    const events = await eventsByExport(stack);
    expect(new Set(events.keys())).toEqual(exportIds);
    for (const exportId of exportIds) {
      expect((events.get(exportId) ?? []).map((e) => e.subject)).toEqual(['exports.events.completed']);
      expect(events.get(exportId)![0].data).toMatchObject({ exportId, status: 'COMPLETED' });
    }
    expect((await stack.query(`SELECT count(*)::int AS n FROM exports`))[0].n).toBe(exportIds.size);
    expect((await stack.storage.listKeys('')).length).toBe(exportIds.size);
  });
});
