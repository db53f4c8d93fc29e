import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { Subjects } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { HttpResult, sleep, TestStack, waitUntil } from '@exports/testing';
import { downloadFile, PartnerGatewayClient, sha256Hex } from './conformance-client';

/**
 * The partner gateway v1 as its public documentation ("Asynchronous Exports", "Message History")
 * tells a client author to use it: routes under the platform base path, the three-step export
 * workflow, statuses, 0-based pages, the error envelope and its codes, the rate-limit headers,
 * plain dates. Written from the documentation alone, against the real stack.
 */
describe('partner gateway v1 conformance (e2e)', () => {
  const LINK_TTL_SECONDS = 6;
  const RATE_LIMIT = 150;
  const stack = new TestStack({
    apps: ['api-gateway', 'export-worker', 'history-service'],
    env: {
      EXPORT_LINK_TTL_SECONDS: String(LINK_TTL_SECONDS),
      // Eleven exports of one account are open at once in the paging test.
      EXPORT_MAX_OPEN_PER_ACCOUNT: '20',
      RATE_LIMIT_REQUESTS: String(RATE_LIMIT),
      // One window for the whole file: the budgets below never reset mid-test.
      RATE_LIMIT_WINDOW_SECONDS: '3600',
    },
  });
  let alice: CreatedAccount;
  let bob: CreatedAccount;
  let api: PartnerGatewayClient;
  /** Alice's contacts export of the workflow test, COMPLETED; its link expires later in the file. */
  let completed: any;

  const CONTACT_COLUMNS = ['id', 'phoneNumber', 'email', 'firstName', 'lastName', 'gender', 'listIds', 'customFields', 'isTest', 'createdAt', 'updatedAt'];
  const HISTORY_COLUMNS = [
    'messageId', 'customerMessageId', 'campaignId', 'channel', 'direction', 'sender', 'destination', 'body',
    'status', 'statusDescription', 'errorCode', 'sendDate', 'deliveryDate', 'cost', 'parts',
  ];
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

  const contacts = ['c-1', 'c-2', 'c-3'].map((id, n) => ({
    id,
    phoneNumber: `+3361234567${n}`,
    firstName: `First ${n}`,
    createdAt: '2026-01-15T10:30:00Z',
    updatedAt: '2026-01-20T08:00:00Z',
  }));
  /** 25 SMS on 2026-03-10, one a minute: more than the default page of 20. */
  const bulk = Array.from({ length: 25 }, (_, i) => ({ messageId: `bulk-${String(i + 1).padStart(2, '0')}`, sendDate: new Date(Date.UTC(2026, 2, 10, 8, i)).toISOString() }));
  /** Around 2026-04-01, in UTC and in Paris (UTC+2 that day), and the end of April. */
  const edges: Record<string, string> = {
    'day-1': '2026-03-31T21:59:59Z', // Paris 03-31 23:59:59
    'day-2': '2026-03-31T22:00:00Z', // Paris 04-01 00:00:00
    'day-3': '2026-03-31T23:59:59Z',
    'day-4': '2026-04-01T00:00:00Z',
    'day-5': '2026-04-01T21:59:59Z', // Paris 04-01 23:59:59
    'day-6': '2026-04-01T22:00:00Z', // Paris 04-02 00:00:00
    'day-7': '2026-04-01T23:59:59Z',
    'day-8': '2026-04-02T00:00:00Z',
    'day-9': '2026-04-30T22:30:00Z', // Paris 05-01 00:30
    'day-10': '2026-05-01T00:00:00Z',
  };

  beforeAll(async () => {
    await stack.start();
    alice = await stack.createAccount('alice');
    bob = await stack.createAccount('bob');
    api = new PartnerGatewayClient(stack, alice.apiKey);
    for (const contact of contacts) await stack.publishFor(alice.accountId, Subjects.platform.contactsUpserted, { accountId: alice.accountId, contact });
    const messages = [...bulk, ...Object.entries(edges).map(([messageId, sendDate]) => ({ messageId, sendDate }))];
    for (const { messageId, sendDate } of messages) {
      await stack.publishFor(alice.accountId, Subjects.platform.messagesRecorded, {
        accountId: alice.accountId,
        message: { messageId, channel: 'SMS', direction: 'OUTBOUND', sender: 'ACME', destination: '+33612345678', body: `Body of ${messageId}`, status: 'SENT', sendDate },
      });
    }
    const count = async (table: string) => (await stack.query(`SELECT count(*)::int AS n FROM ${table} WHERE account_id = $1`, [alice.accountId]))[0].n;
    await waitUntil('platform events ingested', async () => (await count('contacts')) === contacts.length && (await count('messages')) === messages.length, 30_000);
  }, 120_000);

  afterAll(() => stack.stop(), 60_000);

  /** The envelope every error shares: status, error, code, message (and details on a validation error). */
  function expectError(response: HttpResult, status: number, code: string): void {
    expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
    expect(response.body).toEqual(expect.objectContaining({ status, error: expect.any(String), code, message: expect.any(String) }));
    expect(response.body.message.length).toBeGreaterThan(0);
  }

  function expectRateLimitHeaders(response: HttpResult): void {
    expect(response.headers.get('x-ratelimit-limit')).toBe(String(RATE_LIMIT));
    expect(Number(response.headers.get('x-ratelimit-remaining'))).toBeGreaterThanOrEqual(0);
    const reset = Number(response.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThanOrEqual(1);
    expect(reset).toBeLessThanOrEqual(3600);
  }

  it('runs the three steps: create (202 PENDING), poll GET /exports/{exportId} (200 until COMPLETED with a link), download and check the file', async () => {
    // 1. Create.
    const created = await api.post('/exports/contacts', {});
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ exportId: expect.stringMatching(UUID), type: 'CONTACTS', status: 'PENDING', isAvailableForDownload: false, progress: { rowsExported: 0 } });
    expectRateLimitHeaders(created);

    // 2. Poll: 200 every time, PENDING with its progress, then COMPLETED with the link.
    const { final, polls } = await api.pollExport(created.body.exportId);
    // Kept for the expiry test at the end of the file.
    completed = final.body;
    for (const poll of polls) expect(poll.status).toBe(200);
    for (const pending of polls.slice(0, -1)) {
      expect(pending.body).toMatchObject({ exportId: created.body.exportId, status: 'PENDING', isAvailableForDownload: false, progress: { rowsExported: expect.any(Number) } });
      expect(pending.body.downloadUrl).toBeUndefined();
    }
    expect(final.body).toMatchObject({
      exportId: created.body.exportId,
      type: 'CONTACTS',
      status: 'COMPLETED',
      isAvailableForDownload: true,
      downloadUrl: expect.any(String),
      expiresAt: expect.any(String),
      rowCount: contacts.length,
      sizeBytes: expect.any(Number),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      fileName: expect.stringMatching(/\.csv$/),
    });
    // The link's end is the export's linkExpiresAt, to the whole second, and has not passed.
    expect(Date.parse(final.body.expiresAt)).toBeGreaterThan(Date.now());
    expect(Date.parse(final.body.expiresAt)).toBeLessThanOrEqual(Date.parse(final.body.linkExpiresAt));
    expect(Date.parse(final.body.expiresAt)).toBeGreaterThan(Date.parse(final.body.linkExpiresAt) - 1000);
    expect(final.body.progress).toEqual({ rowsExported: contacts.length });
    expectRateLimitHeaders(final);

    // 3. Download: a CSV with a header row, whose bytes match sizeBytes, sha256 and rowCount.
    const file = await downloadFile(completed.downloadUrl);
    expect(file.status).toBe(200);
    expect(file.bytes.length).toBe(completed.sizeBytes);
    expect(sha256Hex(file.bytes)).toBe(completed.sha256);
    const [header, ...rows] = parse(file.bytes) as string[][];
    expect(header).toEqual(CONTACT_COLUMNS);
    expect(rows).toHaveLength(completed.rowCount);
    expect(rows.map((row) => row[0])).toEqual(contacts.map((c) => c.id));

    // The list tells the same.
    const listed = (await api.get('/exports?page=0')).body.items.find((item: any) => item.exportId === completed.exportId);
    expect(listed).toMatchObject({ status: 'COMPLETED', isAvailableForDownload: true, sha256: completed.sha256, rowCount: contacts.length });
  });

  it('answers GET /exports/{exportId} with 200 in every live state: PENDING with progress, FAILED with its error; POST on PENDING is 409 EXPORT_NOT_READY, on FAILED a re-run (202)', async () => {
    // A client cannot make an export stay PENDING or fail on purpose: two rows stand in for them.
    const pending = randomUUID();
    const failed = randomUUID();
    await stack.query(
      `INSERT INTO exports (id, account_id, type, status, filters, timezone, attempts, error_code, error_message) VALUES
       ($1, $3, 'CONTACTS', 'PENDING', '{}', 'UTC', 0, NULL, NULL), ($2, $3, 'CONTACTS', 'FAILED', '{}', 'UTC', 3, 'INTERNAL', 'The export failed 3 time(s)')`,
      [pending, failed, alice.accountId],
    );

    const isPending = await api.get(`/exports/${pending}`);
    expect(isPending.status).toBe(200);
    expect(isPending.body).toMatchObject({ exportId: pending, type: 'CONTACTS', status: 'PENDING', isAvailableForDownload: false, progress: { rowsExported: 0 } });
    expect(isPending.body.downloadUrl).toBeUndefined();
    const notReady = await api.post(`/exports/${pending}`);
    expectError(notReady, 409, 'EXPORT_NOT_READY');
    expect(notReady.body.exportStatus).toBe('PENDING');

    const isFailed = await api.get(`/exports/${failed}`);
    expect(isFailed.status).toBe(200);
    expect(isFailed.body).toMatchObject({ exportId: failed, status: 'FAILED', isAvailableForDownload: false, error: { code: expect.any(String), message: expect.any(String) } });
    expect(isFailed.body.downloadUrl).toBeUndefined();
    const rerun = await api.post(`/exports/${failed}`);
    expect(rerun.status).toBe(202);
    expect(rerun.body).toMatchObject({ exportId: failed, status: 'PENDING', isAvailableForDownload: false });
    expect(rerun.body.error).toBeUndefined();
    // Then poll again, as for a new export.
    const { final } = await api.pollExport(failed);
    expect(final).toMatchObject({ status: 200, body: { status: 'COMPLETED', isAvailableForDownload: true, rowCount: contacts.length, downloadUrl: expect.any(String) } });
    expect(final.body.error).toBeUndefined();
  });

  it('serves the same API at the root as under the base path', async () => {
    const root = api.at('');
    const history = `/messages/history?channel=SMS&from=2026-03-10T00:00:00Z&to=2026-03-10T23:59:59Z&limit=5`;
    const [underBase, atRoot] = await Promise.all([api.get(history), root.get(history)]);
    expect(underBase.status).toBe(200);
    expect(atRoot).toMatchObject({ status: 200, body: underBase.body });
    // An export's status moves with time (a link passes): the list is compared by its ids.
    const [listUnderBase, listAtRoot] = await Promise.all([api.get('/exports?page=0&limit=3'), root.get('/exports?page=0&limit=3')]);
    expect(listUnderBase.status).toBe(200);
    expect(listAtRoot.status).toBe(200);
    const summary = (page: any) => ({ ...page, items: page.items.map((item: any) => item.exportId) });
    expect(summary(listAtRoot.body)).toEqual(summary(listUnderBase.body));
    // Each read signs a link of its own, ending with linkExpiresAt to the second: everything else is the same.
    const [one, same] = await Promise.all([api.get(`/exports/${completed.exportId}`), root.get(`/exports/${completed.exportId}`)]);
    expect(one.status).toBe(200);
    expect(same.status).toBe(200);
    const withoutLink = (body: any) => ({ ...body, downloadUrl: undefined, expiresAt: undefined });
    expect(withoutLink(same.body)).toEqual(withoutLink(one.body));
    for (const { body } of [one, same]) {
      expect(body.downloadUrl).toEqual(expect.any(String));
      expect(Date.parse(body.linkExpiresAt) - Date.parse(body.expiresAt)).toBeGreaterThanOrEqual(0);
      expect(Date.parse(body.linkExpiresAt) - Date.parse(body.expiresAt)).toBeLessThan(1000);
    }
    expectError(await root.get(`/exports/${randomUUID()}`), 404, 'NOT_FOUND');
  });

  it('pages GET /exports from page 0, ten a page by default, newest first', async () => {
    const pager = new PartnerGatewayClient(stack, (await stack.createAccount('pager')).apiKey);
    const ids: string[] = [];
    // Eleven small exports (the account has no data): one more than a page.
    for (let i = 0; i < 11; i++) {
      const created = await pager.post('/exports/delivery-reports', { campaignId: `campaign-${i}` });
      expect(created.status).toBe(202);
      ids.push(created.body.exportId);
    }
    // Paging needs no export to finish: they run on while the pages are read.
    const idsOf = (page: HttpResult) => page.body.items.map((item: any) => item.exportId);
    const first = await pager.get('/exports');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ page: 0, limit: 10, totalItems: 11 });
    expect(idsOf(first)).toEqual([...ids].reverse().slice(0, 10));
    const page0 = await pager.get('/exports?page=0');
    expect(page0.body).toMatchObject({ page: 0, limit: 10, totalItems: 11 });
    expect(idsOf(page0)).toEqual(idsOf(first));
    const page1 = await pager.get('/exports?page=1');
    expect(page1.body).toMatchObject({ page: 1, limit: 10, totalItems: 11 });
    expect(idsOf(page1)).toEqual([ids[0]]);
    expect((await pager.get('/exports?page=2')).body).toMatchObject({ items: [], page: 2, totalItems: 11 });
    for (const item of [...first.body.items, ...page1.body.items]) {
      expect(item).toMatchObject({ type: 'DELIVERY_REPORTS', filters: { campaignId: expect.stringMatching(/^campaign-/) }, progress: { rowsExported: expect.any(Number) } });
      expect(['PENDING', 'COMPLETED', 'EXPIRED', 'FAILED']).toContain(item.status);
      expect(item.isAvailableForDownload).toBe(item.status === 'COMPLETED');
    }
  });

  it('pages GET /messages/history from page 0, twenty a page by default, with hasMore and nextCursor', async () => {
    const range = 'channel=SMS&from=2026-03-10T00:00:00Z&to=2026-03-10T23:59:59Z';
    const first = await api.get(`/messages/history?${range}`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ page: 0, limit: 20, hasMore: true, nextCursor: expect.any(String) });
    expect(first.body.messages.map((m: any) => m.messageId)).toEqual(bulk.slice(0, 20).map((m) => m.messageId));
    expect(first.body.messages[0]).toMatchObject({ channel: 'SMS', direction: 'OUTBOUND', sender: 'ACME', destination: '+33612345678', body: 'Body of bulk-01', status: 'SENT', parts: expect.any(Number) });
    expect(Date.parse(first.body.messages[0].sendDate)).toBe(Date.parse(bulk[0].sendDate));

    const page0 = await api.get(`/messages/history?${range}&page=0`);
    expect(page0.body.messages).toEqual(first.body.messages);
    const page1 = await api.get(`/messages/history?${range}&page=1`);
    expect(page1.body).toMatchObject({ page: 1, limit: 20, hasMore: false, nextCursor: null });
    expect(page1.body.messages.map((m: any) => m.messageId)).toEqual(bulk.slice(20).map((m) => m.messageId));
    const next = await api.get(`/messages/history?${range}&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(next.status).toBe(200);
    expect(next.body).toMatchObject({ hasMore: false, nextCursor: null });
    expect(next.body.messages).toEqual(page1.body.messages);
  });

  it('takes plain dates in GET /messages/history: from=to=2026-04-01 is that whole day, in UTC or in the given timezone', async () => {
    const day = async (extra = '') => {
      const response = await api.get(`/messages/history?channel=SMS&from=2026-04-01&to=2026-04-01${extra}`);
      expect(response.status).toBe(200);
      return response.body.messages.map((m: any) => m.messageId);
    };
    expect(await day()).toEqual(['day-4', 'day-5', 'day-6', 'day-7']);
    // Paris is UTC+2 on 2026-04-01: the day starts and ends two hours earlier.
    expect(await day('&timezone=Europe/Paris')).toEqual(['day-2', 'day-3', 'day-4', 'day-5']);
  });

  it('takes plain dates in POST /messages/history/export (202) and exports the whole days, echoing the resolved bounds', async () => {
    const utc = await api.post('/messages/history/export', { startDateTime: '2026-04-01', endDateTime: '2026-04-30' });
    expect(utc.status).toBe(202);
    expect(utc.body).toMatchObject({ type: 'MESSAGE_HISTORY', status: 'PENDING' });
    expect(Date.parse(utc.body.filters.startDateTime)).toBe(Date.parse('2026-04-01T00:00:00Z'));
    expect(Date.parse(utc.body.filters.endDateTime)).toBeGreaterThanOrEqual(Date.parse('2026-04-30T23:59:59Z'));
    expect(Date.parse(utc.body.filters.endDateTime)).toBeLessThan(Date.parse('2026-05-01T00:00:00Z'));
    const paris = await api.post('/messages/history/export', { startDateTime: '2026-04-01', endDateTime: '2026-04-30', timezone: 'Europe/Paris' });
    expect(paris.status).toBe(202);
    expect(Date.parse(paris.body.filters.startDateTime)).toBe(Date.parse('2026-03-31T22:00:00Z'));
    expect(Date.parse(paris.body.filters.endDateTime)).toBeGreaterThanOrEqual(Date.parse('2026-04-30T21:59:59Z'));
    expect(Date.parse(paris.body.filters.endDateTime)).toBeLessThan(Date.parse('2026-04-30T22:00:00Z'));

    const rowsOf = async (exportId: string) => {
      const { final } = await api.pollExport(exportId);
      expect(final.body).toMatchObject({ status: 'COMPLETED', downloadUrl: expect.any(String) });
      const file = await downloadFile(final.body.downloadUrl);
      expect(sha256Hex(file.bytes)).toBe(final.body.sha256);
      const [header, ...rows] = parse(file.bytes) as string[][];
      expect(header).toEqual(HISTORY_COLUMNS);
      expect(rows).toHaveLength(final.body.rowCount);
      return rows;
    };
    const utcRows = await rowsOf(utc.body.exportId);
    expect(utcRows.map((r) => r[0])).toEqual(['day-4', 'day-5', 'day-6', 'day-7', 'day-8', 'day-9']);
    const parisRows = await rowsOf(paris.body.exportId);
    expect(parisRows.map((r) => r[0])).toEqual(['day-2', 'day-3', 'day-4', 'day-5', 'day-6', 'day-7', 'day-8']);
    // The file's timestamps are in the export's timezone.
    expect(parisRows[2][HISTORY_COLUMNS.indexOf('sendDate')]).toBe('2026-04-01T02:00:00.000+02:00');
  });

  it('answers 404 NOT_FOUND for another account\'s export, an unknown id and a malformed id, on GET and POST', async () => {
    const asBob = new PartnerGatewayClient(stack, bob.apiKey);
    for (const method of ['get', 'post'] as const) {
      for (const [client, id] of [
        [asBob, completed.exportId],
        [api, randomUUID()],
        [api, 'not-an-export-id'],
      ] as const) {
        const response = await client[method](`/exports/${id}`);
        expectError(response, 404, 'NOT_FOUND');
        expect(response.body.error).toBe('Not Found');
        expectRateLimitHeaders(response);
      }
    }
  });

  it('refuses bad input with 400 VALIDATION_FAILED naming the field, and a missing key with 401, in the one envelope', async () => {
    const body = await api.post('/exports/contacts', { listIds: 'vip' });
    expectError(body, 400, 'VALIDATION_FAILED');
    expect(body.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'listIds', message: expect.any(String) })]));
    expectRateLimitHeaders(body);

    // A date-time without an offset is neither a plain date nor a date-time with an offset.
    const noOffset = await api.get('/messages/history?channel=SMS&from=2026-04-01T10:00:00&to=2026-04-01');
    expectError(noOffset, 400, 'VALIDATION_FAILED');
    expect(noOffset.body.details.map((d: any) => d.field)).toContain('from');
    const exportNoOffset = await api.post('/messages/history/export', { startDateTime: '2026-04-01', endDateTime: '2026-04-30T10:00:00' });
    expectError(exportNoOffset, 400, 'VALIDATION_FAILED');
    expect(exportNoOffset.body.details.map((d: any) => d.field)).toContain('endDateTime');
    const badPage = await api.get('/exports?page=-1');
    expectError(badPage, 400, 'VALIDATION_FAILED');
    expect(badPage.body.details.map((d: any) => d.field)).toContain('page');

    const noKey = await new PartnerGatewayClient(stack, undefined).get('/exports');
    expectError(noKey, 401, 'UNAUTHORIZED');
    expect(noKey.body.error).toBe('Unauthorized');
  });

  it('rate-limits a key with 429 RATE_LIMITED, retryAfter, Retry-After and the X-RateLimit headers', async () => {
    const limited = new PartnerGatewayClient(stack, (await stack.createAccount('limited')).apiKey);
    let first = await limited.get('/exports');
    // Windows are fixed: should this one end within seconds, spend the budget in the next one.
    const reset = Number(first.headers.get('x-ratelimit-reset'));
    if (reset < 10) {
      await sleep(reset * 1000 + 500);
      first = await limited.get('/exports');
    }
    expect(first.headers.get('x-ratelimit-remaining')).toBe(String(RATE_LIMIT - 1));
    const remaining: number[] = [];
    for (let sent = 1; sent < RATE_LIMIT; sent += 25) {
      const batch = await Promise.all(Array.from({ length: Math.min(25, RATE_LIMIT - sent) }, () => limited.get('/exports')));
      for (const response of batch) {
        expect(response.status).toBe(200);
        remaining.push(Number(response.headers.get('x-ratelimit-remaining')));
      }
    }
    expect(remaining.sort((x, y) => x - y)).toEqual(Array.from({ length: RATE_LIMIT - 1 }, (_, i) => i));

    const refused = await limited.get('/exports');
    expectError(refused, 429, 'RATE_LIMITED');
    expect(refused.body).toEqual({ status: 429, error: 'Too Many Requests', code: 'RATE_LIMITED', message: expect.any(String), retryAfter: expect.any(Number) });
    expect(refused.body.retryAfter).toBeGreaterThan(0);
    expect(refused.headers.get('retry-after')).toBe(String(refused.body.retryAfter));
    expect(refused.headers.get('x-ratelimit-limit')).toBe(String(RATE_LIMIT));
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(refused.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('x-ratelimit-reset'))).toBeLessThanOrEqual(3600);
    // The budget is the key's: others are not affected.
    expect((await api.get('/exports?limit=1')).status).toBe(200);
  });

  it('reads EXPIRED once the link has passed: GET is 400 LINK_EXPIRED, POST regenerates (200, a new working link)', async () => {
    await sleep(Math.max(0, Date.parse(completed.linkExpiresAt) - Date.now() + 500));
    const expired = await api.get(`/exports/${completed.exportId}`);
    expectError(expired, 400, 'LINK_EXPIRED');
    expect(expired.body).toMatchObject({ error: 'Bad Request', exportStatus: 'EXPIRED' });
    const listed = (await api.get('/exports?status=EXPIRED')).body.items.find((item: any) => item.exportId === completed.exportId);
    expect(listed).toMatchObject({ status: 'EXPIRED', isAvailableForDownload: false });
    expect((await downloadFile(completed.downloadUrl)).status).not.toBe(200);

    const renewed = await api.post(`/exports/${completed.exportId}`);
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({
      exportId: completed.exportId,
      status: 'COMPLETED',
      isAvailableForDownload: true,
      downloadUrl: expect.any(String),
      expiresAt: expect.any(String),
      sha256: completed.sha256,
      rowCount: completed.rowCount,
    });
    expect(renewed.body.downloadUrl).not.toBe(completed.downloadUrl);
    expect(Date.parse(renewed.body.expiresAt)).toBeGreaterThan(Date.now());
    const file = await downloadFile(renewed.body.downloadUrl);
    expect(file.status).toBe(200);
    expect(sha256Hex(file.bytes)).toBe(completed.sha256);
    expect((await api.get(`/exports/${completed.exportId}`))).toMatchObject({ status: 200, body: { status: 'COMPLETED' } });
  });
});
