import { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { NatsConnection } from 'nats';
import { escapeLiteral } from 'pg';
import { accountSubject, ExportType, Subjects } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { EXPORT_SOURCES } from '@exports/export-files';
import { NatsRole } from '@exports/platform';
import { reservedRangePort, TestStack } from '@exports/testing';

const RANGE = { startDateTime: '2026-01-01T00:00:00Z', endDateTime: '2026-03-31T23:59:59Z' };
/** Each estimate route, the create route beside it and its export type. */
const ROUTES = [
  { path: '/exports/contacts/estimate', create: '/exports/contacts', type: ExportType.Contacts, body: {} },
  { path: '/exports/delivery-reports/estimate', create: '/exports/delivery-reports', type: ExportType.DeliveryReports, body: RANGE },
  { path: '/messages/history/export/estimate', create: '/messages/history/export', type: ExportType.MessageHistory, body: RANGE },
];

/** POST …/estimate over HTTP and `exports.estimate` over NATS, on seeded rows, as a caller sees them. */
describe('export estimates (e2e)', () => {
  const stack = new TestStack({ apps: ['api-gateway', 'export-worker'] });
  let a: CreatedAccount;
  let b: CreatedAccount;

  beforeAll(async () => {
    await stack.start();
    [a, b] = [await stack.createAccount('A'), await stack.createAccount('B')];
    await seed(a.accountId, 'a', 7);
    await seed(b.accountId, 'b', 3);
    await stack.query('ANALYZE contacts, messages, delivery_reports');
  }, 120_000);

  afterAll(() => stack.stop(), 60_000);

  /**
   * `n` contacts (every third in list vip, the last one deleted), `n` messages of 2026 (SMS, then
   * RCS every third), a DELIVERED report for each and an ERROR report for every other one, and
   * one report whose message was never recorded.
   */
  async function seed(accountId: string, prefix: string, n: number): Promise<void> {
    await stack.query(
      `INSERT INTO contacts (account_id, id, phone_number, first_name, list_ids, created_at, updated_at, deleted_at)
       SELECT $1::uuid, $2 || '-c' || i, '+3361234567' || i, 'Zoé', CASE WHEN i % 3 = 0 THEN '{vip}'::text[] ELSE '{}' END, now(), now(), CASE WHEN i = $3 THEN now() END
       FROM generate_series(1, $3::int) AS i`,
      [accountId, prefix, n],
    );
    await stack.query(
      `INSERT INTO messages (account_id, message_id, channel, direction, sender, destination, body, status, status_at, send_date)
       SELECT $1::uuid, $2 || '-m' || i, CASE WHEN i % 3 = 0 THEN 'RCS' ELSE 'SMS' END, 'OUTBOUND', 'ACME', '+33612345678', 'Hello, "friend"', 'DELIVERED', d, d
       FROM generate_series(1, $3::int) AS i, LATERAL (SELECT timestamptz '2026-01-05T10:00:00Z' + i * interval '1 week' AS d) AS t`,
      [accountId, prefix, n],
    );
    await stack.query(
      `INSERT INTO delivery_reports (account_id, message_id, status, occurred_at)
       SELECT account_id, message_id, 'DELIVERED', send_date + interval '5 seconds' FROM messages WHERE account_id = $1
       UNION ALL SELECT account_id, message_id, 'ERROR', send_date + interval '1 second' FROM messages WHERE account_id = $1 AND right(message_id, 1)::int % 2 = 0
       UNION ALL SELECT $1::uuid, $2 || '-never-recorded', 'DELIVERED', timestamptz '2026-02-01T00:00:00Z'`,
      [accountId, prefix],
    );
  }

  /** The rows a filter of a route selects, counted here in SQL from the seed. */
  async function expectedRows(accountId: string, type: ExportType, filters: Record<string, unknown>): Promise<number> {
    const source = EXPORT_SOURCES[type];
    const { from, where } = source.rows({ accountId, filters, columns: null }, filters, escapeLiteral);
    return Number((await stack.query(`SELECT count(*) AS n FROM ${from} WHERE ${where.join(' AND ')}`))[0].n);
  }

  /** The planner's estimate of those rows, as the gateway asks it. */
  async function plannedRows(accountId: string, type: ExportType, filters: Record<string, unknown>): Promise<number> {
    const { from, where } = EXPORT_SOURCES[type].rows({ accountId, filters, columns: null }, filters, escapeLiteral);
    const [line] = await stack.query(`EXPLAIN (FORMAT JSON) SELECT 1 FROM ${from} WHERE ${where.join(' AND ')}`);
    return Math.round(line['QUERY PLAN'][0].Plan['Plan Rows']);
  }

  it.each([
    ['contacts, every live one', ROUTES[0], {}, {}],
    ['contacts of a list', ROUTES[0], { listIds: ['vip'] }, { listIds: ['vip'] }],
    ['delivery reports of a range', ROUTES[1], RANGE, RANGE],
    ['delivery reports of a channel', ROUTES[1], { ...RANGE, channel: 'RCS' }, { ...RANGE, channel: ['RCS'] }],
    ['message history of a range', ROUTES[2], RANGE, RANGE],
    [
      'message history of a channel, in plain dates',
      ROUTES[2],
      { startDateTime: '2026-01-01', endDateTime: '2026-01-31', channel: 'SMS', timezone: 'Europe/Paris' },
      { startDateTime: '2026-01-01T00:00:00+01:00', endDateTime: '2026-01-31T23:59:59.999999+01:00', channel: ['SMS'] },
    ],
  ])('counts %s exactly on small data', async (_what, route, body, filters) => {
    const estimate = await stack.http('POST', route.path, { apiKey: a.apiKey, body });
    expect(estimate.status).toBe(200);
    const rows = await expectedRows(a.accountId, route.type, filters);
    expect(rows).toBeGreaterThan(0);
    expect(estimate.body).toEqual({ rowCount: rows, exact: true, sizeBytes: expect.any(Number), parts: 1, format: 'csv' });
    expect(estimate.body.sizeBytes).toBeGreaterThan(0);
    expect(estimate.headers.get('x-ratelimit-limit')).toMatch(/^\d+$/);
  });

  it.each([ROUTES[0], ROUTES[1]])('gives the rowCount of the export once COMPLETED ($create)', async (route) => {
    const body = route.type === ExportType.Contacts ? { listIds: ['vip'] } : RANGE;
    const estimate = await stack.http('POST', route.path, { apiKey: a.apiKey, body });
    const created = await stack.http('POST', route.create, { apiKey: a.apiKey, body });
    expect(created.status).toBe(202);
    const done = await stack.waitForExport(a.apiKey, created.body.exportId);
    expect(done.status).toBe('COMPLETED');
    expect(estimate.body).toMatchObject({ rowCount: done.rowCount, exact: true, parts: done.files.length });
  });

  it("never counts another account's rows", async () => {
    for (const route of ROUTES) {
      const [mine, theirs] = await Promise.all([a, b].map((account) => stack.http('POST', route.path, { apiKey: account.apiKey, body: route.body })));
      expect([mine.body.rowCount, theirs.body.rowCount]).toEqual([await expectedRows(a.accountId, route.type, route.body), await expectedRows(b.accountId, route.type, route.body)]);
      expect(mine.body.rowCount).not.toBe(theirs.body.rowCount);
    }
    const empty = await stack.createAccount('no rows');
    const none = await stack.http('POST', '/exports/contacts/estimate', { apiKey: empty.apiKey, body: { columns: ['id'] } });
    // An empty CSV export is its header line, "id\n".
    expect(none.body).toEqual({ rowCount: 0, exact: true, sizeBytes: 3, parts: 1, format: 'csv' });
  });

  it('sizes the files from the format, the columns and maxRowsPerFile', async () => {
    const size = async (body: Record<string, unknown>) => (await stack.http('POST', '/messages/history/export/estimate', { apiKey: a.apiKey, body: { ...RANGE, ...body } })).body;
    const csv = await size({});
    const [gzip, jsonl, jsonlGzip, fewer, split] = await Promise.all([
      size({ format: 'csv.gz' }),
      size({ format: 'jsonl' }),
      size({ format: 'jsonl.gz' }),
      size({ columns: ['messageId', 'body'] }),
      size({ maxRowsPerFile: 2 }),
    ]);
    expect([gzip.format, jsonl.format, jsonlGzip.format]).toEqual(['csv.gz', 'jsonl', 'jsonl.gz']);
    expect(gzip.sizeBytes).toBeLessThan(csv.sizeBytes);
    expect(jsonl.sizeBytes).toBeGreaterThan(csv.sizeBytes);
    expect(jsonlGzip.sizeBytes).toBeLessThan(jsonl.sizeBytes);
    expect(fewer.sizeBytes).toBeLessThan(csv.sizeBytes);
    expect(split).toMatchObject({ rowCount: csv.rowCount, parts: Math.ceil(csv.rowCount / 2) });
    // Each part has its header.
    expect(split.sizeBytes).toBeGreaterThan(csv.sizeBytes);
  });

  it.each([
    ['format', { format: 'xml' }],
    ['columns', { columns: ['id', 'nope'] }],
    ['columns', { columns: ['id', 'email', 'id'] }],
    ['columns', { columns: [] }],
    ['maxRowsPerFile', { maxRowsPerFile: 0 }],
    ['maxRowsPerFile', { maxRowsPerFile: 1_048_576 }],
    ['maxRowsPerFile', { maxRowsPerFile: 'abc' }],
    ['maxRowsPerFile', { maxRowsPerFile: 2.5 }],
    ['listIds', { listIds: 'vip' }],
    ['extra', { extra: true }],
  ])('refuses a contacts body the create route refuses, naming %s: %j', async (field, body) => {
    const refused = await stack.http('POST', '/exports/contacts/estimate', { apiKey: a.apiKey, body });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ status: 400, error: 'Bad Request', code: 'VALIDATION_FAILED' });
    expect(refused.body.details.map((detail: { field: string }) => detail.field)).toContain(field);
    expect(refused.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
    const create = await stack.http('POST', '/exports/contacts', { apiKey: a.apiKey, body });
    expect({ status: create.status, fields: create.body.details?.map((detail: { field: string }) => detail.field) }).toEqual({
      status: 400,
      fields: refused.body.details.map((detail: { field: string }) => detail.field),
    });
  });

  it('refuses maxRowsPerFile 1e400, the rules across fields and unknown columns of the type, like the create routes', async () => {
    const huge = await stack.http('POST', '/exports/contacts/estimate', { apiKey: a.apiKey, rawBody: '{"maxRowsPerFile": 1e400}' });
    expect(huge.status).toBe(400);
    expect(huge.body.details.map((detail: { field: string }) => detail.field)).toContain('maxRowsPerFile');
    const cases: Array<[string, Record<string, unknown>, string[]]> = [
      ['/exports/delivery-reports/estimate', {}, ['campaignId', 'startDateTime', 'endDateTime']],
      ['/exports/delivery-reports/estimate', { campaignId: 'x', columns: ['body'] }, ['columns']],
      ['/messages/history/export/estimate', { startDateTime: '2026-03-01', endDateTime: '2026-01-01' }, ['endDateTime']],
      ['/messages/history/export/estimate', { startDateTime: '2025-01-01', endDateTime: '2026-12-31' }, ['startDateTime', 'endDateTime']],
      ['/messages/history/export/estimate', { ...RANGE, columns: ['firstName'] }, ['columns']],
    ];
    for (const [path, body, fields] of cases) {
      const refused = await stack.http('POST', path, { apiKey: a.apiKey, body });
      expect({ path, body, status: refused.status, fields: [...new Set(refused.body.details?.map((detail: { field: string }) => detail.field))] }).toEqual({ path, body, status: 400, fields });
      expect(refused.body.message).toContain(fields[0]);
    }
  });

  it('registers nothing: the account has no export and nothing waits for the bus', async () => {
    const quiet = await stack.createAccount('estimates only');
    for (const route of ROUTES) {
      for (let i = 0; i < 3; i++) expect((await stack.http('POST', route.path, { apiKey: quiet.apiKey, body: route.body, headers: { 'Idempotency-Key': randomUUID() } })).status).toBe(200);
    }
    const list = await stack.http('GET', '/exports', { apiKey: quiet.apiKey });
    expect(list.body).toMatchObject({ items: [], totalItems: 0 });
    expect(await stack.query(`SELECT count(*)::int AS n FROM outbox WHERE account_id = $1`, [quiet.accountId])).toEqual([{ n: 0 }]);
  });

  it('needs the API key', async () => {
    for (const route of ROUTES) expect((await stack.http('POST', route.path, { body: route.body })).body).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });

  describe('over NATS', () => {
    /** `exports.estimate.<subjectAccount>` in Nest's packet format, from the test's connection or `caller`'s. */
    const request = async (subjectAccount: string, data: unknown, caller?: NatsConnection): Promise<any> => {
      const subject = stack.namespace.subject(accountSubject(Subjects.requests.exportsEstimate, subjectAccount));
      const reply = await (caller ?? (await stack.natsConnection())).request(subject, JSON.stringify({ id: randomUUID(), data }), { timeout: 10_000 });
      return JSON.parse(reply.string());
    };

    it('answers exports.estimate as HTTP answers the same body, for the account of the subject', async () => {
      for (const route of ROUTES) {
        const body = { ...route.body, format: 'jsonl.gz', maxRowsPerFile: 3 };
        const http = await stack.http('POST', route.path, { apiKey: a.apiKey, body });
        const nats = await request(a.accountId, { accountId: a.accountId, type: route.type, request: body });
        expect(nats.response).toEqual(http.body);
        expect(nats.response).toMatchObject({ exact: true, format: 'jsonl.gz' });
      }
    });

    it("refuses a payload naming another account than the subject's, and the bodies HTTP refuses", async () => {
      const foreign = await request(a.accountId, { accountId: b.accountId, type: 'CONTACTS', request: {} });
      expect(foreign.err).toMatchObject({ status: 403, code: 'ACCOUNT_MISMATCH' });
      for (const [data, field] of [
        [{ accountId: a.accountId, type: 'CONTACTS', request: { maxRowsPerFile: 0 } }, 'maxRowsPerFile'],
        [{ accountId: a.accountId, type: 'CONTACTS', request: { columns: ['nope'] } }, 'columns'],
        [{ accountId: a.accountId, type: 'DELIVERY_REPORTS', request: {} }, 'campaignId'],
        [{ accountId: a.accountId, type: 'EVERYTHING', request: {} }, 'type'],
        [{ accountId: a.accountId, type: 'CONTACTS', request: {}, idempotencyKey: 'k' }, 'idempotencyKey'],
      ] as const) {
        const refused = await request(a.accountId, data);
        expect(refused.err).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
        expect(refused.err.details.map((detail: { field: string }) => detail.field)).toContain(field);
      }
    });

    it('lets a reader estimate for the accounts it was given, and no other', async () => {
      const reader = await stack.natsCaller('estimates-reader-a', NatsRole.Reader, [a.accountId]);
      expect((await request(a.accountId, { accountId: a.accountId, type: 'CONTACTS', request: {} }, reader)).response).toMatchObject({ exact: true });
      await expect(request(b.accountId, { accountId: b.accountId, type: 'CONTACTS', request: {} }, reader)).rejects.toMatchObject({ code: 'PERMISSIONS_VIOLATION' });
    });
  });

  describe('with EXPORT_ESTIMATE_EXACT_MAX_ROWS=0', () => {
    let gateway: ChildProcess;
    let baseUrl: string;

    beforeAll(async () => {
      const port = await reservedRangePort();
      gateway = await stack.startApp('api-gateway', { PORT: String(port), EXPORT_ESTIMATE_EXACT_MAX_ROWS: '0' });
      baseUrl = `http://127.0.0.1:${port}`;
    }, 60_000);

    afterAll(() => stack.killInstance(gateway, 'SIGTERM'), 30_000);

    it("answers the planner's estimate, exact: false, never counting", async () => {
      for (const route of ROUTES) {
        const estimate = await stack.http('POST', route.path, { apiKey: a.apiKey, body: route.body, baseUrl });
        expect(estimate.status).toBe(200);
        expect(estimate.body).toMatchObject({ rowCount: await plannedRows(a.accountId, route.type, route.body), exact: false, parts: 1, format: 'csv' });
      }
    });
  });

  describe('with a count that outlasts EXPORT_ESTIMATE_TIMEOUT_MS', () => {
    const ROWS = 300_000;
    let big: CreatedAccount;
    let gateway: ChildProcess;
    let baseUrl: string;

    beforeAll(async () => {
      big = await stack.createAccount('big');
      await stack.query(`INSERT INTO contacts (account_id, id, updated_at) SELECT $1::uuid, 'big-' || i, now() FROM generate_series(1, $2::int) AS i`, [big.accountId, ROWS]);
      await stack.query('ANALYZE contacts');
      const port = await reservedRangePort();
      gateway = await stack.startApp('api-gateway', { PORT: String(port), EXPORT_ESTIMATE_TIMEOUT_MS: '1' });
      baseUrl = `http://127.0.0.1:${port}`;
    }, 60_000);

    afterAll(() => stack.killInstance(gateway, 'SIGTERM'), 30_000);

    it("answers the planner's estimate when the count is stopped, and counts when it has the time", async () => {
      const planned = await plannedRows(big.accountId, ExportType.Contacts, {});
      expect(planned).toBeLessThanOrEqual(1_000_000);
      const hurried = await stack.http('POST', '/exports/contacts/estimate', { apiKey: big.apiKey, body: {}, baseUrl });
      expect(hurried.body).toMatchObject({ rowCount: planned, exact: false, parts: 1 });
      expect(stack.logsOfInstance(gateway).some((line) => line.includes('Row count stopped at EXPORT_ESTIMATE_TIMEOUT_MS') && line.includes(big.accountId))).toBe(true);
      const counted = await stack.http('POST', '/exports/contacts/estimate', { apiKey: big.apiKey, body: { maxRowsPerFile: 100_000 } });
      expect(counted.body).toMatchObject({ rowCount: ROWS, exact: true, parts: 3 });
    });
  });

  describe('rate limit', () => {
    let gateway: ChildProcess;
    let baseUrl: string;

    beforeAll(async () => {
      const port = await reservedRangePort();
      gateway = await stack.startApp('api-gateway', { PORT: String(port), RATE_LIMIT_REQUESTS: '3', RATE_LIMIT_WINDOW_SECONDS: '3600' });
      baseUrl = `http://127.0.0.1:${port}`;
    }, 60_000);

    afterAll(() => stack.killInstance(gateway, 'SIGTERM'), 30_000);

    it("spends the key's budget like every keyed route, and refuses it once spent", async () => {
      const { apiKey } = await stack.createAccount('limited');
      const answers = [];
      for (const route of [...ROUTES, ROUTES[0]]) answers.push(await stack.http('POST', route.path, { apiKey, body: route.body, baseUrl }));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 429]);
      expect(answers.map((answer) => answer.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0', '0']);
      expect(answers[3].body).toMatchObject({ status: 429, code: 'RATE_LIMITED', message: 'Rate limit of 3 requests per 3600 s reached for this API key' });
      expect(answers[3].headers.get('retry-after')).toMatch(/^\d+$/);
    });
  });
});
