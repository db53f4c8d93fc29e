import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { NatsConnection } from 'nats';
import { accountSubject, Consumers, ExportType, Subjects } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { insertContacts, insertMessages, TestStack, waitUntil } from '@exports/testing';

/**
 * Account B tries every HTTP route, NATS subject and ingestion event against account A's
 * exports and data (the two share contact and message ids): nothing crosses.
 */
describe('cross-tenant attempts (e2e)', () => {
  const stack = new TestStack({ apps: ['api-gateway', 'export-worker', 'history-service'], env: { EXPORT_MAX_OPEN_PER_ACCOUNT: '100' } });
  let a: CreatedAccount;
  let b: CreatedAccount;
  let nats: NatsConnection;
  let aCompleted: any;
  const aFailed = randomUUID();
  const aPending = randomUUID();
  let attempts = 0;
  const FROM = '2026-01-09T00:00:00Z';
  const TO = '2026-01-12T00:00:00Z';

  beforeAll(async () => {
    await stack.start();
    a = await stack.createAccount('A');
    b = await stack.createAccount('B');
    nats = await stack.natsConnection();
    // Same contact and message ids in both accounts; B's rows are marked so a leak would show.
    await insertContacts(stack, a.accountId, 100);
    await insertContacts(stack, b.accountId, 5);
    await stack.query(`UPDATE contacts SET email = 'b-' || email WHERE account_id = $1`, [b.accountId]);
    await insertMessages(stack, a.accountId, 50, FROM.replace('09', '10'), 'shared-campaign');
    await insertMessages(stack, b.accountId, 3, FROM.replace('09', '10'), 'shared-campaign');
    await stack.query(`UPDATE messages SET sender = 'B-SENDER' WHERE account_id = $1`, [b.accountId]);

    const created = await stack.http('POST', '/exports/contacts', { apiKey: a.apiKey, body: {} });
    aCompleted = await stack.waitForExport(a.apiKey, created.body.exportId);
    expect(aCompleted.status).toBe('COMPLETED');
    await stack.query(
      `INSERT INTO exports (id, account_id, type, status, filters, timezone, attempts, error_code, error_message) VALUES
       ($1, $3, 'CONTACTS', 'FAILED', '{}', 'UTC', 3, 'INTERNAL', 'failed'), ($2, $3, 'CONTACTS', 'PENDING', '{}', 'UTC', 0, NULL, NULL)`,
      [aFailed, aPending, a.accountId],
    );
  });

  afterAll(async () => {
    process.stdout.write(`security-tenancy: ${attempts} cross-tenant attempts\n`);
    await stack.stop();
  }, 60_000);

  const aRows = () => stack.query(`SELECT id, status, run, attempts, sha256, link_expires_at, object_key FROM exports WHERE account_id = $1 ORDER BY id`, [a.accountId]);

  async function exportRows(apiKey: string, path: string, body: object): Promise<string[][]> {
    const created = await stack.http('POST', path, { apiKey, body });
    expect(created.status).toBe(202);
    const done = await stack.waitForExport(apiKey, created.body.exportId);
    expect(done.status).toBe('COMPLETED');
    const link = await stack.http('GET', `/exports/${done.exportId}`, { apiKey });
    const [header, ...rows] = parse(Buffer.from(await (await fetch(link.body.downloadUrl)).arrayBuffer())) as string[][];
    expect(header.length).toBeGreaterThan(0);
    return rows;
  }

  it("HTTP: B's key never reaches A's exports; every id answers like an unknown one", async () => {
    const before = await aRows();
    const unknown = randomUUID();
    for (const id of [aCompleted.exportId, aFailed, aPending]) {
      for (const [method, suffix] of [['GET', ''], ['POST', ''], ['POST', '/cancel']]) {
        const response = await stack.http(method, `/exports/${id}${suffix}`, { apiKey: b.apiKey });
        attempts += 1;
        const reference = await stack.http(method, `/exports/${unknown}${suffix}`, { apiKey: b.apiKey });
        expect(response.status).toBe(404);
        expect(response.body).toEqual({ status: 404, error: 'Not Found', code: 'NOT_FOUND', message: `Export ${id} was not found` });
        expect(response.body).toEqual({ ...reference.body, message: reference.body.message.replace(unknown, id) });
      }
      // The audited download and its records, likewise; B's attempt records nothing.
      for (const route of ['download', 'downloads']) {
        const response = await stack.http('GET', `/exports/${id}/${route}`, { apiKey: b.apiKey, redirect: 'manual' });
        attempts += 1;
        expect(response.status).toBe(404);
        expect(response.body).toEqual({ status: 404, error: 'Not Found', code: 'NOT_FOUND', message: `Export ${id} was not found` });
      }
    }
    expect(await stack.query(`SELECT count(*)::int AS n FROM export_downloads`)).toEqual([{ n: 0 }]);
    // A's own key reads the same ids: every live state is answered (PENDING and FAILED without a link).
    const own = async (id: string) => (await stack.http('GET', `/exports/${id}`, { apiKey: a.apiKey })).body;
    expect(await own(aPending)).toMatchObject({ exportId: aPending, status: 'PENDING', isAvailableForDownload: false, progress: { rowsExported: 0 } });
    expect(await own(aFailed)).toMatchObject({ exportId: aFailed, status: 'FAILED', isAvailableForDownload: false, error: { code: 'INTERNAL', message: 'failed' } });
    for (const id of [aPending, aFailed]) expect((await own(id)).downloadUrl).toBeUndefined();
    for (const query of ['', '?status=COMPLETED', '?status=FAILED', '?status=PENDING', '?type=CONTACTS', '?limit=100']) {
      const list = await stack.http('GET', `/exports${query}`, { apiKey: b.apiKey });
      attempts += 1;
      expect(list.status).toBe(200);
      expect(list.body).toMatchObject({ items: [], totalItems: 0 });
    }
    // The account cannot be named: it comes from the key only.
    for (const [method, path, body] of [
      ['GET', `/exports?accountId=${a.accountId}`, undefined],
      ['POST', '/exports/contacts', { accountId: a.accountId }],
      ['GET', `/messages/history?channel=SMS&from=${FROM}&to=${TO}&accountId=${a.accountId}`, undefined],
    ] as const) {
      const response = await stack.http(method, path, { apiKey: b.apiKey, body });
      attempts += 1;
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.details.map((d: { field: string }) => d.field)).toContain('accountId');
    }
    // A's presigned link, re-pointed at B's prefix, is refused by the storage.
    const link = (await stack.http('GET', `/exports/${aCompleted.exportId}`, { apiKey: a.apiKey })).body.downloadUrl as string;
    expect((await fetch(link.replace(a.accountId, b.accountId))).status).toBe(403);
    attempts += 1;
    expect(await aRows()).toEqual(before);
  });

  it("HTTP: B's exports and browsing hold only B's rows, even when filtering on A's ids and campaign", async () => {
    const contacts = await exportRows(b.apiKey, '/exports/contacts', { contactIds: ['c-0000001', 'c-0000050', 'c-0000100'] });
    expect(contacts.map((r) => [r[0], r[2]])).toEqual([['c-0000001', 'b-user1@example.com']]);
    const all = await exportRows(b.apiKey, '/exports/contacts', {});
    expect(all).toHaveLength(5);
    expect(all.every((r) => r[2].startsWith('b-'))).toBe(true);
    const reports = await exportRows(b.apiKey, '/exports/delivery-reports', { campaignId: 'shared-campaign' });
    expect(reports).toHaveLength(3);
    const history = await exportRows(b.apiKey, '/messages/history/export', { startDateTime: FROM, endDateTime: TO });
    expect(history).toHaveLength(3);
    expect(history.every((r) => r[5] === 'B-SENDER')).toBe(true);
    const browse = await stack.http('GET', `/messages/history?channel=SMS,RCS,WHATSAPP&from=${FROM}&to=${TO}&limit=100`, { apiKey: b.apiKey });
    expect(browse.status).toBe(200);
    expect(browse.body.messages.map((m: { sender: string }) => m.sender)).toEqual(['B-SENDER', 'B-SENDER', 'B-SENDER']);
    attempts += 5;
  });

  /** Nest's request format, as any internal service sends it. */
  async function request(subject: string, data: { accountId: string; [field: string]: unknown }): Promise<any> {
    attempts += 1;
    const scoped = stack.namespace.subject(accountSubject(subject, data.accountId));
    const reply = await nats.request(scoped, JSON.stringify({ pattern: scoped, data, id: randomUUID() }), { timeout: 5000 });
    return JSON.parse(reply.string());
  }

  it("NATS request-reply acting for B never returns or changes A's data", async () => {
    for (const exportId of [aCompleted.exportId, aFailed, aPending]) {
      for (const subject of [Subjects.requests.exportsGet, Subjects.requests.exportsCancel, Subjects.requests.exportsDownloads]) {
        const reply = await request(subject, { accountId: b.accountId, exportId });
        expect(reply.err).toEqual({ status: 404, error: 'Not Found', code: 'NOT_FOUND', message: `Export ${exportId} was not found` });
      }
    }
    expect((await request(Subjects.requests.exportsList, { accountId: b.accountId, limit: 100 })).response).toMatchObject({ totalItems: expect.any(Number) });
    const listed = (await request(Subjects.requests.exportsList, { accountId: b.accountId, limit: 100 })).response.items.map((i: { exportId: string }) => i.exportId);
    expect(listed).not.toEqual(expect.arrayContaining([aCompleted.exportId]));
    expect(listed).not.toContain(aFailed);
    expect(listed).not.toContain(aPending);

    const created = (await request(Subjects.requests.exportsCreate, { accountId: b.accountId, type: 'CONTACTS', request: { contactIds: ['c-0000050', 'c-0000099'] } })).response;
    expect(await stack.waitForExport(b.apiKey, created.exportId)).toMatchObject({ status: 'COMPLETED', rowCount: 0 });

    const browse = (await request(Subjects.requests.historyBrowse, { accountId: b.accountId, channel: ['SMS', 'RCS', 'WHATSAPP'], from: FROM, to: TO, limit: 100 })).response;
    expect(browse.messages.map((m: { sender: string }) => m.sender)).toEqual(['B-SENDER', 'B-SENDER', 'B-SENDER']);
  });

  it("forged run messages and ingestion events in B's name leave A untouched", async () => {
    const before = await aRows();
    const aContact = (await stack.query(`SELECT * FROM contacts WHERE account_id = $1 AND id = 'c-0000002'`, [a.accountId]))[0];
    const aMessage = (await stack.query(`SELECT * FROM messages WHERE account_id = $1 AND message_id = 'm-0000040'`, [a.accountId]))[0];

    for (const exportId of [aCompleted.exportId, aPending, aFailed]) {
      await stack.publishFor(b.accountId, Subjects.exportRequested.CONTACTS, { exportId, accountId: b.accountId, type: 'CONTACTS', run: 1 });
      attempts += 1;
    }
    const future = '2030-01-01T00:00:00Z';
    const forged: Array<[string, unknown]> = [
      [Subjects.platform.contactsUpserted, { accountId: b.accountId, contact: { id: 'c-0000002', email: 'stolen@b.example', createdAt: future, updatedAt: future } }],
      [Subjects.platform.contactsDeleted, { accountId: b.accountId, contactId: 'c-0000003', deletedAt: future }],
      [Subjects.platform.messagesStatus, { accountId: b.accountId, messageId: 'm-0000040', status: 'DELIVERED', occurredAt: future }],
      [Subjects.platform.messagesRecorded, { accountId: b.accountId, message: { messageId: 'm-0000041', channel: 'SMS', direction: 'OUTBOUND', sender: 'B-SENDER', destination: '+33600000000', body: 'B', status: 'SENT', sendDate: future } }],
    ];
    for (const [subject, payload] of forged) {
      await stack.publishFor(b.accountId, subject, payload);
      attempts += 1;
    }
    // Every forged run message is dropped once it has been retried as an unknown export.
    const jsm = await nats.jetstreamManager();
    await waitUntil(
      'forged run messages handled',
      async () => {
        const info = await jsm.consumers.info(stack.namespace.stream('exports').name, stack.namespace.consumer(Consumers.exportRuns('export-worker', ExportType.Contacts)));
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      60_000,
    );
    await waitUntil('forged events applied to B', async () => (await stack.query(`SELECT count(*)::int AS n FROM messages WHERE account_id = $1 AND message_id = 'm-0000041'`, [b.accountId]))[0].n === 1);
    await waitUntil('forged delete applied to B', async () => (await stack.query(`SELECT count(*)::int AS n FROM contacts WHERE account_id = $1 AND id = 'c-0000003' AND deleted_at IS NOT NULL`, [b.accountId]))[0].n === 1);

    expect(await aRows()).toEqual(before);
    expect((await stack.query(`SELECT * FROM contacts WHERE account_id = $1 AND id = 'c-0000002'`, [a.accountId]))[0]).toEqual(aContact);
    expect((await stack.query(`SELECT count(*)::int AS n FROM contacts WHERE account_id = $1 AND deleted_at IS NULL`, [a.accountId]))[0].n).toBe(100);
    expect((await stack.query(`SELECT * FROM messages WHERE account_id = $1 AND message_id = 'm-0000040'`, [a.accountId]))[0]).toEqual(aMessage);
    expect((await stack.query(`SELECT count(*)::int AS n FROM delivery_reports WHERE account_id = $1`, [a.accountId]))[0].n).toBe(50);
    expect(await stack.storage.listKeys(`${b.accountId}/${aCompleted.exportId}/`)).toEqual([]);
    expect(stack.logsOf('export-worker').filter((l) => l.includes('"message":"Export request for an unknown export dropped"'))).toHaveLength(3);
  });
});
