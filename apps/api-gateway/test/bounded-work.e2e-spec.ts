import { randomUUID } from 'node:crypto';
import { NatsConnection } from 'nats';
import { Client } from 'pg';
import { accountSubject, MAX_OFFSET, Subjects } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { insertContacts, TestStack, waitUntil } from '@exports/testing';

/**
 * Bounded work: the statement timeout of every request path (503, while the export COPY
 * goes on past it), the maxima of paged inputs, timezones PostgreSQL knows, and the
 * throttling of requests without a valid key per client address (TRUST_PROXY=1 here,
 * so each test speaks from an address of its own through X-Forwarded-For).
 */
describe('bounded work (e2e)', () => {
  const STATEMENT_TIMEOUT_MS = 1000;
  const stack = new TestStack({
    apps: ['api-gateway', 'export-worker', 'history-service'],
    env: { DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS), TRUST_PROXY: '1', AUTH_FAILURES_PER_MINUTE: '30', EXPORT_MAX_OPEN_PER_ACCOUNT: '100' },
  });
  let account: CreatedAccount;
  let nats: NatsConnection;
  const browse = 'channel=SMS&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z';

  beforeAll(async () => {
    await stack.start();
    account = await stack.createAccount('bounded');
    nats = await stack.natsConnection();
  });

  afterAll(() => stack.stop(), 60_000);

  const from = (address: string, apiKey?: string) => ({ apiKey, headers: { 'X-Forwarded-For': address } });

  /** On the subject of this test's account (every payload here acts for it). */
  async function request(subject: string, data: unknown): Promise<any> {
    const scoped = stack.namespace.subject(accountSubject(subject, account.accountId));
    const reply = await nats.request(scoped, JSON.stringify({ pattern: scoped, data, id: randomUUID() }), { timeout: 10_000 });
    return JSON.parse(reply.string());
  }

  /** Holds a lock on `table` in a transaction of its own until `release` is called. */
  async function lockTable(table: string): Promise<() => Promise<void>> {
    const client = new Client({ connectionString: stack.databaseUrl });
    await client.connect();
    await client.query('BEGIN');
    await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    return async () => {
      await client.query('ROLLBACK');
      await client.end();
    };
  }

  describe('statement timeout', () => {
    it('answers 503 with the envelope, not a 500, when a request path outlasts it (HTTP and history.browse)', async () => {
      const release = await lockTable('exports');
      try {
        const list = await stack.http('GET', '/exports', from('198.51.100.1', account.apiKey));
        expect(list.status).toBe(503);
        expect(list.body).toEqual({ status: 503, error: 'Service Unavailable', code: 'SERVICE_UNAVAILABLE', message: expect.stringMatching(/took too long in the database/) });
        const rpc = await request(Subjects.requests.exportsList, { accountId: account.accountId });
        expect(rpc.err).toMatchObject({ status: 503, error: 'Service Unavailable', code: 'SERVICE_UNAVAILABLE' });
      } finally {
        await release();
      }
      const releaseMessages = await lockTable('messages');
      try {
        const history = await stack.http('GET', `/messages/history?${browse}`, from('198.51.100.1', account.apiKey));
        expect(history.status).toBe(503);
        expect(history.body).toMatchObject({ status: 503, error: 'Service Unavailable', code: 'SERVICE_UNAVAILABLE' });
        expect(history.body.errorId).toBeUndefined();
      } finally {
        await releaseMessages();
      }
      expect((await stack.http('GET', '/exports', from('198.51.100.1', account.apiKey))).status).toBe(200);
    });

    it('does not stop the export COPY, which waits past it and completes on its first attempt', async () => {
      const owner = await stack.createAccount('copy past the timeout');
      await insertContacts(stack, owner.accountId, 500);
      const release = await lockTable('contacts');
      let created: any;
      try {
        created = await stack.http('POST', '/exports/contacts', from('198.51.100.2', owner.apiKey));
        expect(created.status).toBe(202);
        await waitUntil('the export COPY waits on the lock', async () => {
          const rows = await stack.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'COPY%'`);
          return rows.length > 0;
        });
        // Held past the timeout: a COPY under it would be cancelled now.
        await new Promise((resolve) => setTimeout(resolve, STATEMENT_TIMEOUT_MS * 2));
      } finally {
        await release();
      }
      const done = await stack.waitForExport(owner.apiKey, created.body.exportId);
      expect(done).toMatchObject({ status: 'COMPLETED', rowCount: 500 });
      expect((await stack.query(`SELECT attempts FROM exports WHERE id = $1`, [created.body.exportId]))[0].attempts).toBe(1);
    });
  });

  describe('paged inputs', () => {
    const pageError = (body: any, field: string) => {
      expect(body).toMatchObject({ status: 400, error: 'Bad Request', code: 'VALIDATION_FAILED' });
      expect(body.message).toContain(field);
      expect(body.details.map((d: { field: string }) => d.field)).toEqual([field]);
    };

    it.each([
      ['page=1e20', 'page'],
      ['page=1e9', 'page'],
      ['page=1.5', 'page'],
      ['page=10001', 'page'],
      [`page=${MAX_OFFSET / 100 + 1}&limit=100`, 'page'],
      ['limit=1e9', 'limit'],
      ['limit=1e2', 'limit'],
    ])('GET /exports?%s is a 400 naming %s', async (query, field) => {
      const response = await stack.http('GET', `/exports?${query}`, from('198.51.100.3', account.apiKey));
      expect(response.status).toBe(400);
      pageError(response.body, field);
    });

    it.each([
      ['page=1e20', 'page'],
      ['page=1e9', 'page'],
      [`page=${MAX_OFFSET / 100 + 1}&limit=100`, 'page'],
      ['limit=1e9', 'limit'],
    ])('GET /messages/history?…&%s is a 400 naming %s', async (query, field) => {
      const response = await stack.http('GET', `/messages/history?${browse}&${query}`, from('198.51.100.3', account.apiKey));
      expect(response.status).toBe(400);
      pageError(response.body, field);
    });

    it('answers the deepest allowed page', async () => {
      expect((await stack.http('GET', `/exports?page=${MAX_OFFSET / 100}&limit=100`, from('198.51.100.3', account.apiKey))).body).toMatchObject({ items: [], page: MAX_OFFSET / 100 });
      expect((await stack.http('GET', `/messages/history?${browse}&page=${MAX_OFFSET / 100}&limit=100`, from('198.51.100.3', account.apiKey))).status).toBe(200);
    });

    it.each([
      [{ page: 1e20 }, 'page'],
      [{ page: 1e9 }, 'page'],
      [{ page: 0.5 }, 'page'],
      [{ page: 2001, limit: 100 }, 'page'],
      [{ limit: 1e9 }, 'limit'],
      [{ page: '1e3' }, 'page'],
    ])('exports.list and history.browse with %j are a 400 naming %s', async (paging, field) => {
      const list = await request(Subjects.requests.exportsList, { accountId: account.accountId, ...paging });
      pageError(list.err, field);
      const history = await request(Subjects.requests.historyBrowse, { accountId: account.accountId, channel: ['SMS'], from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', ...paging });
      pageError(history.err, field);
    });
  });

  describe('timezones', () => {
    // The runtime knows this alias; PostgreSQL does not (it would fail the export later).
    const ONLY_THE_RUNTIME_KNOWS = 'US/Pacific-New';

    it('takes only names PostgreSQL knows, over HTTP and exports.create', async () => {
      expect(() => new Intl.DateTimeFormat('en-US', { timeZone: ONLY_THE_RUNTIME_KNOWS })).not.toThrow();
      expect(await stack.query(`SELECT 1 FROM pg_timezone_names WHERE name = $1`, [ONLY_THE_RUNTIME_KNOWS])).toEqual([]);

      for (const timezone of [ONLY_THE_RUNTIME_KNOWS, 'europe/paris']) {
        const http = await stack.http('POST', '/exports/contacts', { ...from('198.51.100.4', account.apiKey), body: { timezone } });
        expect(http.status).toBe(400);
        expect(http.body.message).toContain('timezone');
        expect(http.body.details).toEqual([{ field: 'timezone', message: expect.stringContaining('IANA time zone') }]);
        const rpc = await request(Subjects.requests.exportsCreate, { accountId: account.accountId, type: 'MESSAGE_HISTORY', request: { startDateTime: '2026-01-01T00:00:00Z', endDateTime: '2026-01-02T00:00:00Z', timezone } });
        expect(rpc.err).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', details: [{ field: 'timezone' }] });
      }
      const accepted = await stack.http('POST', '/exports/contacts', { ...from('198.51.100.4', account.apiKey), body: { timezone: 'America/Argentina/Buenos_Aires' } });
      expect(accepted.status).toBe(202);
      expect(await stack.waitForExport(account.apiKey, accepted.body.exportId)).toMatchObject({ status: 'COMPLETED' });
    });
  });

  describe('requests without a valid key', () => {
    it('are throttled per client address: 1,000 bad keys from one address are mostly 429, and other addresses are not affected', async () => {
      const attacker = '203.0.113.7';
      const statuses: number[] = [];
      for (let i = 0; i < 1000; i++) {
        const response = await stack.http('GET', '/exports', from(attacker, i % 10 === 0 ? undefined : `exk_${randomUUID()}`));
        statuses.push(response.status);
      }
      expect(statuses.filter((s) => s === 401)).toHaveLength(30);
      expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
      expect(statuses.filter((s) => s === 429)).toHaveLength(970);

      const refused = await stack.http('GET', '/exports', from(attacker, `exk_${randomUUID()}`));
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.body).toMatchObject({ status: 429, error: 'Too Many Requests', code: 'RATE_LIMITED', retryAfter });
      expect(refused.body.message).toContain('without a valid API key');
      // No key was accepted: no budget to report.
      expect(refused.headers.get('x-ratelimit-limit')).toBeNull();

      // The documented choice: the address is refused before any key is looked up, a valid one included.
      expect((await stack.http('GET', '/exports', from(attacker, account.apiKey))).status).toBe(429);
      // Other addresses: a valid key works, a bad one is still a plain 401.
      expect((await stack.http('GET', '/exports', from('203.0.113.8', account.apiKey))).status).toBe(200);
      expect((await stack.http('GET', '/exports', from('203.0.113.9', `exk_${randomUUID()}`))).status).toBe(401);
      // Public routes are never throttled.
      expect((await stack.http('GET', '/health/live', from(attacker))).status).toBe(200);
    });

    it('counts revoked keys as failures too', async () => {
      const revoked = await stack.createAccount('revoked');
      await stack.query(`UPDATE api_keys SET revoked_at = now() WHERE account_id = $1`, [revoked.accountId]);
      const statuses: number[] = [];
      for (let i = 0; i < 31; i++) statuses.push((await stack.http('GET', '/exports', from('203.0.113.10', revoked.apiKey))).status);
      expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
      expect(statuses[30]).toBe(429);
    });
  });
});
