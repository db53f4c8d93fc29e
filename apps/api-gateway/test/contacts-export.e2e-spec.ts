import { createHash, randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { EXPORT_COLUMNS, ExportType, Subjects } from '@exports/contracts';
import { spreadsheetSafe } from '@exports/export-files';
import { CreatedAccount } from '@exports/database';
import { csvCellOf, downloadExport, jsonLineObjects, sleep, TestStack } from '@exports/testing';

/** The contacts export, whole life, over real HTTP, NATS JetStream, PostgreSQL and S3. */
describe('contacts export (e2e)', () => {
  const LINK_TTL = 6;
  const stack = new TestStack({ apps: ['api-gateway', 'export-worker'], env: { EXPORT_LINK_TTL_SECONDS: String(LINK_TTL) } });
  let a: CreatedAccount;
  let b: CreatedAccount;

  const contacts = [
    contact('c-001', { phoneNumber: '+33612345678', firstName: 'Zoé', lastName: 'Dupont, "the boss"', listIds: ['vip', 'fr'], customFields: { plan: 'gold', note: 'line1\nline2' }, isTest: false }),
    contact('c-002', { email: 'kenji@example.jp', firstName: '健二', lastName: '山田', gender: 'male', listIds: ['jp'] }),
    contact('c-003', { phoneNumber: '+14155550100', firstName: '=HYPERLINK("http://evil")', lastName: '-1+2', customFields: { formula: '@SUM(A1)' }, isTest: true }),
    contact('c-004', { email: 'emoji@example.com', firstName: 'Ana 🎉', lastName: "O'Brien\r\nJr.", listIds: ['vip'] }),
    contact('c-005', { phoneNumber: '+447700900123', email: 'gone@example.com', listIds: ['vip'] }),
  ];

  beforeAll(async () => {
    await stack.start();
    a = await stack.createAccount('account A');
    b = await stack.createAccount('account B');
    for (const c of contacts) await stack.publishFor(a.accountId, Subjects.platform.contactsUpserted, { accountId: a.accountId, contact: c });
    // An older version of c-001 replayed later changes nothing; c-005 is deleted.
    await stack.publishFor(a.accountId, Subjects.platform.contactsUpserted, { accountId: a.accountId, contact: { ...contacts[0], firstName: 'OLD', updatedAt: '2020-01-01T00:00:00Z' } });
    await stack.publishFor(a.accountId, Subjects.platform.contactsDeleted, { accountId: a.accountId, contactId: 'c-005', deletedAt: '2026-02-01T00:00:00Z' });
    // Invalid events are terminated, and the consumer moves on.
    await stack.publishFor(a.accountId, Subjects.platform.contactsUpserted, { accountId: a.accountId, contact: { id: 'bad', createdAt: 'yesterday' } });
    await stack.publishFor(a.accountId, Subjects.platform.contactsUpserted, 'not json at all');
    // Another account's contact never shows up in A's files.
    await stack.publishFor(b.accountId, Subjects.platform.contactsUpserted, { accountId: b.accountId, contact: contact('b-001', { email: 'b@example.com' }) });
    await waitFor(async () => (await stack.query(`SELECT count(*)::int AS n FROM contacts`))[0].n === 6 && (await deletedCount()) === 1);
  }, 120_000);

  afterAll(() => stack.stop(), 60_000);

  const deletedCount = async () => (await stack.query(`SELECT count(*)::int AS n FROM contacts WHERE deleted_at IS NOT NULL`))[0].n;

  it('logs and terminates invalid events without blocking the others', () => {
    const rejected = stack.logsOf('export-worker').filter((line) => line.includes('Invalid event terminated'));
    expect(rejected).toHaveLength(2);
    expect(rejected.join('\n')).toContain('contact.createdAt');
  });

  it('exports every live contact of the account, row by row, and serves the file through a presigned link', async () => {
    const started = Date.now();
    const created = await stack.http('POST', '/exports/contacts', { apiKey: a.apiKey, body: {} });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ type: 'CONTACTS', status: 'PENDING', isAvailableForDownload: false, filters: {}, progress: { rowsExported: 0 } });

    const done = await stack.waitForExport(a.apiKey, created.body.exportId);
    expect(done).toMatchObject({ status: 'COMPLETED', isAvailableForDownload: true, rowCount: 4 });
    expect(done.fileName).toMatch(/^contacts-\d{8}T\d{6}Z-[0-9a-f]{8}\.csv$/);
    for (const field of ['completedAt', 'linkExpiresAt', 'fileExpiresAt']) expect(Date.parse(done[field])).not.toBeNaN();

    // GET /exports/{id} of a COMPLETED export: the resource as the list shows it, plus the links.
    const link = await stack.http('GET', `/exports/${done.exportId}`, { apiKey: a.apiKey });
    expect(link.status).toBe(200);
    const { downloadUrl, expiresAt, files, ...resource } = link.body;
    expect({ ...resource, files: files.map(({ downloadUrl: _link, ...file }: { downloadUrl: string }) => file) }).toEqual(done);
    expect(typeof downloadUrl).toBe('string');
    expect(files).toEqual([expect.objectContaining({ part: 1, fileName: done.fileName, rowCount: 4, sha256: done.sha256, downloadUrl })]);
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    expect(Date.parse(expiresAt)).toBeLessThanOrEqual(Date.parse(done.linkExpiresAt));
    const file = Buffer.from(await (await fetch(link.body.downloadUrl)).arrayBuffer());
    expect(file.length).toBe(done.sizeBytes);
    expect(createHash('sha256').update(file).digest('hex')).toBe(done.sha256);

    const rows: string[][] = parse(file, { bom: false, relaxColumnCount: false });
    expect(rows[0]).toEqual(['id', 'phoneNumber', 'email', 'firstName', 'lastName', 'gender', 'listIds', 'customFields', 'isTest', 'createdAt', 'updatedAt']);
    expect(rows.slice(1).map(withParsedJson)).toEqual(contacts.slice(0, 4).map(expectedRow));
  });

  it('jsonl: the same contacts as typed JSON, one line each, the same cells as the CSV', async () => {
    const created = await stack.http('POST', '/exports/contacts', { apiKey: a.apiKey, body: { format: 'jsonl' } });
    expect(created.status).toBe(202);
    expect((await stack.waitForExport(a.apiKey, created.body.exportId)).status).toBe('COMPLETED');
    const { files } = await downloadExport(stack, a.apiKey, created.body.exportId);
    expect(files[0].contentType).toBe('application/x-ndjson');
    const objects = jsonLineObjects(files[0].text);
    const columns = EXPORT_COLUMNS[ExportType.Contacts];
    expect(objects.map((object) => Object.keys(object))).toEqual(objects.map(() => columns));
    expect(objects.map((object) => withParsedJson(columns.map((name) => csvCellOf(object[name]))))).toEqual(contacts.slice(0, 4).map(expectedRow));
    // Typed values, text as stored: a formula stays a formula in JSON Lines, which is not for spreadsheets.
    expect(objects[0]).toMatchObject({ listIds: ['vip', 'fr'], customFields: { plan: 'gold', note: 'line1\nline2' }, isTest: false, firstName: 'Zoé' });
    expect(objects[2]).toMatchObject({ firstName: '=HYPERLINK("http://evil")', lastName: '-1+2', isTest: true, email: null });
  });

  it('filters by list and by contact id', async () => {
    const byList = await exportAndDownload(a, { listIds: ['vip', 'nope'] });
    expect(byList.map((r) => r[0])).toEqual(['c-001', 'c-004']);
    const byId = await exportAndDownload(a, { contactIds: ['c-002', 'c-005', 'unknown'] });
    expect(byId.map((r) => r[0])).toEqual(['c-002']);
    const both = await exportAndDownload(a, { listIds: ['vip'], contactIds: ['c-004'] });
    expect(both.map((r) => r[0])).toEqual(['c-004']);
  });

  it('renders timestamps in the requested time zone', async () => {
    const rows = await exportAndDownload(a, { contactIds: ['c-001'], timezone: 'America/New_York' });
    // 2026-01-15T10:30:00.250Z is 05:30 in New York (EST, -05:00).
    expect(rows[0][9]).toBe('2026-01-15T05:30:00.250-05:00');
  });

  it('writes a header-only file for an empty result', async () => {
    const empty = await stack.createAccount('empty');
    const rows = await exportAndDownload(empty, {});
    expect(rows).toEqual([]);
  });

  it('keeps accounts apart', async () => {
    const mine = await stack.http('POST', '/exports/contacts', { apiKey: a.apiKey, body: {} });
    await stack.waitForExport(a.apiKey, mine.body.exportId);
    const theirs = await stack.http('GET', `/exports/${mine.body.exportId}`, { apiKey: b.apiKey });
    expect(theirs.status).toBe(404);
    expect(theirs.body).toEqual({ status: 404, error: 'Not Found', code: 'NOT_FOUND', message: `Export ${mine.body.exportId} was not found` });
    expect((await stack.http('POST', `/exports/${mine.body.exportId}`, { apiKey: b.apiKey })).body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const list = await stack.http('GET', '/exports?limit=100', { apiKey: b.apiKey });
    expect(list.body.items.map((i: { exportId: string }) => i.exportId)).not.toContain(mine.body.exportId);
    const bRows = await exportAndDownload(b, {});
    expect(bRows.map((r) => r[0])).toEqual(['b-001']);
  });

  it('lists exports newest first, paged, with filters', async () => {
    const page0 = await stack.http('GET', '/exports?page=0&limit=2', { apiKey: a.apiKey });
    expect(page0.status).toBe(200);
    expect(page0.body.items).toHaveLength(2);
    expect(page0.body).toMatchObject({ page: 0, limit: 2 });
    expect(page0.body.totalItems).toBeGreaterThanOrEqual(6);
    const all = await stack.http('GET', '/exports?limit=100&type=CONTACTS', { apiKey: a.apiKey });
    const created = all.body.items.map((i: { createdAt: string }) => i.createdAt);
    expect([...created].sort().reverse()).toEqual(created);
    const page1 = await stack.http('GET', '/exports?page=1&limit=2', { apiKey: a.apiKey });
    expect(page1.body.items[0].exportId).toBe(all.body.items[2].exportId);
    const pending = await stack.http('GET', '/exports?status=PENDING', { apiKey: a.apiKey });
    expect(pending.body.items).toEqual([]);
    // The same routes answer under the platform's base path.
    const based = await stack.http('GET', '/api/partner-gateway/v1/exports?page=0&limit=2', { apiKey: a.apiKey });
    expect(based.status).toBe(200);
    expect(based.body).toEqual(page0.body);
  });

  it('expires the link on time, refuses the old link, and regenerates a working one', async () => {
    const created = await stack.http('POST', '/exports/contacts', { apiKey: a.apiKey, body: { contactIds: ['c-002'] } });
    const done = await stack.waitForExport(a.apiKey, created.body.exportId);
    const oldLink = (await stack.http('GET', `/exports/${done.exportId}`, { apiKey: a.apiKey })).body.downloadUrl;
    expect((await fetch(oldLink)).status).toBe(200);

    await sleep(Date.parse(done.linkExpiresAt) - Date.now() + 1100);
    const expired = await stack.http('GET', `/exports/${done.exportId}`, { apiKey: a.apiKey });
    expect(expired.status).toBe(400);
    expect(expired.body).toMatchObject({ status: 400, error: 'Bad Request', code: 'LINK_EXPIRED' });
    expect(expired.body.details).toBeUndefined();
    expect(expired.body.message).toMatch(/expired.*POST \/exports\/\{exportId\}/);
    expect((await stack.findExport(a.apiKey, done.exportId)).status).toBe('EXPIRED');
    expect((await stack.http('GET', '/exports?status=EXPIRED&limit=100', { apiKey: a.apiKey })).body.items.map((i: any) => i.exportId)).toContain(done.exportId);
    expect((await fetch(oldLink)).status).toBe(403);

    const renewed = await stack.http('POST', `/exports/${done.exportId}`, { apiKey: a.apiKey });
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({ exportId: done.exportId, status: 'COMPLETED', isAvailableForDownload: true, sha256: done.sha256, rowCount: 1, fileName: done.fileName });
    expect(Date.parse(renewed.body.expiresAt)).toBeGreaterThan(Date.now());
    expect(renewed.body.downloadUrl).not.toBe(oldLink);
    const file = Buffer.from(await (await fetch(renewed.body.downloadUrl)).arrayBuffer());
    expect(createHash('sha256').update(file).digest('hex')).toBe(done.sha256);
    expect((await stack.findExport(a.apiKey, done.exportId)).status).toBe('COMPLETED');
  }, 60_000);

  it('retries a failing run, reports FAILED with a code, and runs it again on request', async () => {
    await stack.query('ALTER TABLE contacts RENAME TO contacts_away');
    let failed: any;
    try {
      const created = await stack.http('POST', '/exports/contacts', { apiKey: a.apiKey, body: {} });
      failed = await stack.waitForExport(a.apiKey, created.body.exportId, 60_000);
    } finally {
      await stack.query('ALTER TABLE contacts_away RENAME TO contacts');
    }
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toEqual({ code: 'INTERNAL', message: expect.stringContaining('3 time(s)') });
    expect((await stack.query('SELECT attempts FROM exports WHERE id = $1', [failed.exportId]))[0].attempts).toBe(3);
    // A FAILED export reads as it is: its error, and no link.
    const read = await stack.http('GET', `/exports/${failed.exportId}`, { apiKey: a.apiKey });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(failed);
    expect(read.body.downloadUrl).toBeUndefined();

    const retried = await stack.http('POST', `/exports/${failed.exportId}`, { apiKey: a.apiKey });
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ exportId: failed.exportId, status: 'PENDING', filters: {} });
    const done = await stack.waitForExport(a.apiKey, failed.exportId);
    expect(done).toMatchObject({ status: 'COMPLETED', rowCount: 4 });
    expect(done.error).toBeUndefined();
  }, 90_000);

  it('logs JSON lines that carry the export and account ids, never a key or a link', async () => {
    const created = await stack.http('POST', '/exports/contacts', { apiKey: a.apiKey, body: { contactIds: ['c-001'] } });
    const done = await stack.waitForExport(a.apiKey, created.body.exportId);
    const link = await stack.http('GET', `/exports/${done.exportId}`, { apiKey: a.apiKey });
    await sleep(200);
    const lines = [...stack.logsOf('api-gateway'), ...stack.logsOf('export-worker')].map((line) => JSON.parse(line) as Record<string, unknown>);
    const about = lines.filter((line) => line.exportId === done.exportId);
    expect(about.map((line) => line.message)).toEqual(expect.arrayContaining(['Export requested', 'Export completed']));
    expect(about.every((line) => line.accountId === a.accountId && typeof line.level === 'string' && typeof line.app === 'string')).toBe(true);
    const everything = lines.map((line) => JSON.stringify(line)).join('\n');
    expect(everything).not.toContain(a.apiKey);
    expect(everything).not.toContain(new URL(link.body.downloadUrl).search);
    expect(everything).not.toContain('Zoé');
  });

  it('counts requests and completed exports in the Prometheus metrics of the gateway and the worker, on their ops ports', async () => {
    const created = await stack.http('POST', '/exports/contacts', { apiKey: a.apiKey, body: { contactIds: ['c-002'] } });
    await stack.waitForExport(a.apiKey, created.body.exportId);
    const gateway = await stack.ops('api-gateway', '/metrics');
    expect(gateway.status).toBe(200);
    expect(gateway.body).toMatch(/http_requests_total\{[^}]*method="POST",route="\/exports\/contacts",status="202"[^}]*\} [1-9]/);
    const worker = (await stack.ops<string>('export-worker', '/metrics')).body;
    const completed = worker.match(/exports_finished_total\{[^}]*type="CONTACTS",status="COMPLETED"[^}]*\} (\d+)/);
    expect(Number(completed?.[1])).toBeGreaterThanOrEqual(1);
    expect(worker).toMatch(/export_rows_total\{[^}]*type="CONTACTS"[^}]*\} [1-9]/);
    expect(worker).toMatch(/ingest_events_total\{[^}]*outcome="rejected"[^}]*\} 2/);
    expect((await stack.ops('export-worker', '/health/ready')).body).toEqual({ status: 'ok', checks: { database: 'ok', nats: 'ok', storage: 'ok' } });
  });

  it('keeps readiness and metrics off the public port: they answer on the ops port only', async () => {
    expect(await stack.ops('api-gateway', '/health/ready')).toMatchObject({ status: 200, body: { status: 'ok', checks: { database: 'ok', nats: 'ok', storage: 'ok' } } });
    expect(await stack.ops('api-gateway', '/health/live')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(new URL(stack.opsUrl('api-gateway')).port).not.toBe(String(stack.port));
    for (const path of ['/metrics', '/health/ready']) expect((await stack.http('GET', path)).status).toBe(404);
  });

  it('serves liveness and the API docs without a key', async () => {
    expect(await stack.http('GET', '/health/live')).toMatchObject({ status: 200, body: { status: 'ok' } });
    const spec = await stack.http('GET', '/docs-json');
    expect(spec.status).toBe(200);
    expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/exports/contacts', '/exports', '/exports/{exportId}']));
    expect(spec.body.components.securitySchemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-api-key' });
    const ui = await stack.http('GET', '/docs');
    expect(ui.status).toBe(200);
    expect(String(ui.body)).toContain('swagger-ui');
  });

  describe('bad input', () => {
    const exportCount = async () => (await stack.query('SELECT count(*)::int AS n FROM exports'))[0].n;

    it('needs a valid API key', async () => {
      const before = await exportCount();
      const none = await stack.http('POST', '/exports/contacts', { body: {} });
      expect(none.status).toBe(401);
      expect(none.body).toEqual({ status: 401, error: 'Unauthorized', code: 'UNAUTHORIZED', message: 'The X-Api-Key header is required' });
      expect(none.headers.get('x-ratelimit-limit')).toBeNull();
      const bad = await stack.http('POST', '/exports/contacts', { apiKey: 'exk_not-a-real-key', body: {} });
      expect(bad.status).toBe(401);
      expect(bad.body).toEqual({ status: 401, error: 'Unauthorized', code: 'UNAUTHORIZED', message: 'The API key in X-Api-Key is not valid' });
      expect((await stack.http('GET', '/exports', { apiKey: '' })).status).toBe(401);
      expect(await exportCount()).toBe(before);
    });

    it.each([
      [{ unknown: 1 }, 'unknown'],
      [{ listIds: 'vip' }, 'listIds'],
      [{ listIds: [1, 2] }, 'listIds'],
      [{ contactIds: ['ok', ''] }, 'contactIds'],
      [{ contactIds: ['x'.repeat(200)] }, 'contactIds'],
      [{ timezone: 'Mars/Olympus' }, 'timezone'],
      [{ timezone: 5 }, 'timezone'],
    ])('refuses %j naming %s, writing nothing', async (body, field) => {
      const before = await exportCount();
      const response = await stack.http('POST', '/exports/contacts', { apiKey: a.apiKey, body });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ status: 400, error: 'Bad Request', code: 'VALIDATION_FAILED' });
      expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
      expect(response.body.message).toContain(field);
      expect(await exportCount()).toBe(before);
    });

    it('refuses malformed JSON and bodies that are not objects, after authenticating the request', async () => {
      const before = await exportCount();
      const malformed = await stack.http('POST', '/exports/contacts', { apiKey: a.apiKey, rawBody: '{"listIds": [' });
      expect(malformed.status).toBe(400);
      expect(malformed.body).toEqual({ status: 400, error: 'Bad Request', code: 'VALIDATION_FAILED', message: 'The request body is not valid JSON' });
      expectRateLimitHeaders(malformed.headers);
      const array = await stack.http('POST', '/exports/contacts', { apiKey: a.apiKey, rawBody: '[1,2]' });
      expect(array.status).toBe(400);
      expect(array.body.code).toBe('VALIDATION_FAILED');
      // A body sent as something else than JSON is not taken for an empty one.
      const text = await stack.http('POST', '/exports/contacts', { apiKey: a.apiKey, rawBody: '{}', headers: { 'Content-Type': 'text/plain' } });
      expect(text.status).toBe(415);
      expect(text.body).toMatchObject({ status: 415, error: 'Unsupported Media Type', code: 'UNSUPPORTED_MEDIA_TYPE' });
      expectRateLimitHeaders(text.headers);
      // Without a key, the body is not looked at: the answer is the 401.
      const anonymous = await stack.http('POST', '/exports/contacts', { rawBody: '{"listIds": [' });
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).toEqual({ status: 401, error: 'Unauthorized', code: 'UNAUTHORIZED', message: 'The X-Api-Key header is required' });
      expect((await stack.http('POST', '/exports/contacts', { apiKey: 'exk_not-a-real-key', rawBody: '{"listIds": [' })).body.code).toBe('UNAUTHORIZED');
      expect(await exportCount()).toBe(before);
    });

    it('refuses a body that is too large with 413, with the rate-limit headers of the key (and 401 without a key)', async () => {
      const body = { contactIds: Array.from({ length: 20000 }, (_, i) => `c-${i}`) };
      const response = await stack.http('POST', '/exports/contacts', { apiKey: a.apiKey, body });
      expect(response.status).toBe(413);
      expect(response.body).toEqual({ status: 413, error: 'Payload Too Large', code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than 64kb' });
      expectRateLimitHeaders(response.headers);
      const anonymous = await stack.http('POST', '/exports/contacts', { body });
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.code).toBe('UNAUTHORIZED');
    });

    it('validates list parameters and export ids', async () => {
      const limit = await stack.http('GET', '/exports?limit=101', { apiKey: a.apiKey });
      expect(limit.status).toBe(400);
      expect(limit.body.details[0].field).toBe('limit');
      expect((await stack.http('GET', '/exports?page=-1', { apiKey: a.apiKey })).body.details[0].field).toBe('page');
      expect((await stack.http('GET', '/exports?status=DONE', { apiKey: a.apiKey })).body.details[0].field).toBe('status');
      // An id that is not a UUID names no export: 404 as for an unknown one, the id not echoed.
      for (const method of ['GET', 'POST']) {
        const badId = await stack.http(method, '/exports/not-a-uuid', { apiKey: a.apiKey });
        expect(badId.status).toBe(404);
        expect(badId.body).toEqual({ status: 404, error: 'Not Found', code: 'NOT_FOUND', message: expect.any(String) });
        expect(badId.body.message).not.toContain('not-a-uuid');
      }
      const unknown = randomUUID();
      expect((await stack.http('GET', `/exports/${unknown}`, { apiKey: a.apiKey })).body).toEqual({ status: 404, error: 'Not Found', code: 'NOT_FOUND', message: `Export ${unknown} was not found` });
    });
  });

  /** The key's budget, on every answer to a request that carried a valid key (errors included). */
  function expectRateLimitHeaders(headers: Headers): void {
    expect(Number(headers.get('x-ratelimit-limit'))).toBeGreaterThan(0);
    expect(Number(headers.get('x-ratelimit-remaining'))).toBeGreaterThanOrEqual(0);
    expect(Number(headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(1);
  }

  async function exportAndDownload(account: CreatedAccount, body: object): Promise<string[][]> {
    const created = await stack.http('POST', '/exports/contacts', { apiKey: account.apiKey, body });
    expect(created.status).toBe(202);
    const done = await stack.waitForExport(account.apiKey, created.body.exportId);
    expect(done.status).toBe('COMPLETED');
    const link = await stack.http('GET', `/exports/${done.exportId}`, { apiKey: account.apiKey });
    const rows: string[][] = parse(Buffer.from(await (await fetch(link.body.downloadUrl)).arrayBuffer()));
    expect(rows.length - 1).toBe(done.rowCount);
    return rows.slice(1);
  }
});

interface TestContact {
  id: string;
  phoneNumber?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  gender?: string;
  listIds?: string[];
  customFields?: Record<string, string>;
  isTest?: boolean;
  createdAt: string;
  updatedAt: string;
}

function contact(id: string, fields: Partial<TestContact>): TestContact {
  return { id, createdAt: '2026-01-15T10:30:00.250Z', updatedAt: '2026-01-20T08:00:00+02:00', ...fields };
}

function expectedRow(c: TestContact): unknown[] {
  const text = (v?: string) => (v === undefined ? '' : spreadsheetSafe(v));
  const iso = (v: string) => new Date(v).toISOString().replace('Z', '+00:00');
  return [
    text(c.id),
    text(c.phoneNumber),
    text(c.email),
    text(c.firstName),
    text(c.lastName),
    text(c.gender),
    text((c.listIds ?? []).join(';')),
    c.customFields ?? '',
    c.isTest === undefined ? '' : String(c.isTest),
    iso(c.createdAt),
    iso(c.updatedAt),
  ];
}

/** customFields is compared as JSON, since PostgreSQL orders and spaces object keys its own way. */
function withParsedJson(row: string[]): unknown[] {
  return row.map((cell, index) => (index === 7 && cell ? JSON.parse(cell) : cell));
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}
