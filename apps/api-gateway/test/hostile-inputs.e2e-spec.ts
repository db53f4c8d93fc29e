import { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { NatsConnection } from 'nats';
import { accountSubject, Subjects } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { TestStack } from '@exports/testing';

/**
 * Hostile values in every string field of every HTTP body, query and path parameter and of
 * every NATS request subject: NUL, invalid UTF-8 (0xC3 0x28 as raw bytes, or percent-encoded
 * in a URL), lone surrogates, page=1e20, limit=1e9, oversized bodies and 10,000 levels of
 * nesting. Always a 4xx envelope whose message names the field (or says the JSON is
 * unreadable), never a 5xx, and every app still up at the end.
 */
describe('hostile input on every route and subject (e2e)', () => {
  const stack = new TestStack({
    apps: ['api-gateway', 'history-service'],
    env: { EXPORT_MAX_OPEN_PER_ACCOUNT: '100000', RATE_LIMIT_REQUESTS: '100000' },
  });
  let account: CreatedAccount;
  let nats: NatsConnection;
  const processes: ChildProcess[] = [];
  let checked = 0;

  beforeAll(async () => {
    await stack.start();
    for (const app of ['api-gateway', 'history-service'] as const) processes.push(...stack.instances(app));
    account = await stack.createAccount('hostile');
    nats = await stack.natsConnection();
  });

  afterAll(async () => {
    process.stdout.write(`hostile-inputs: ${checked} requests\n`);
    await stack.stop();
  }, 60_000);

  const RANGE = { startDateTime: '2026-01-01T00:00:00Z', endDateTime: '2026-01-02T00:00:00Z' };
  /** A valid body per route, and which of its fields are strings and which lists of strings. */
  const ROUTES: Array<{ path: string; type: string; body: Record<string, unknown>; strings: string[]; lists: string[] }> = [
    { path: '/exports/contacts', type: 'CONTACTS', body: {}, strings: ['timezone', 'format'], lists: ['listIds', 'contactIds', 'columns'] },
    { path: '/exports/delivery-reports', type: 'DELIVERY_REPORTS', body: { campaignId: 'c' }, strings: ['campaignId', 'startDateTime', 'endDateTime', 'timezone', 'format'], lists: ['channel', 'status', 'columns'] },
    { path: '/messages/history/export', type: 'MESSAGE_HISTORY', body: RANGE, strings: ['startDateTime', 'endDateTime', 'sender', 'recipient', 'timezone', 'format'], lists: ['channel', 'status', 'columns'] },
  ];
  /** The estimate beside each create route takes the same body. */
  const ESTIMATES = ROUTES.map((route) => ({ ...route, path: `${route.path}/estimate` }));
  /** The other JSON body of the API: a webhook endpoint. */
  const WEBHOOKS = { path: '/webhooks', body: { url: 'https://hooks.example.com/exports', events: ['export.completed'] }, strings: ['url'], lists: ['events'] };
  /** Numbers no row count can be: JSON that overflows a double, past 2^53, negative, fractional, or text. */
  const HUGE_NUMBERS = ['1e400', '-1e400', '9007199254740993', '1e20', '-1', '0.5', '"1e6"'];
  /** Hostile strings as JSON can carry them (escapes for NUL and surrogates). */
  const HOSTILE: Array<[string, string]> = [
    ['NUL', 'a\u0000b'],
    ['a lone high surrogate', 'x\ud800'],
    ['a lone low surrogate', '\udc00y'],
    ['surrogates in the wrong order', '\udc00\ud800'],
  ];

  /** The code each refused status comes with here. */
  const CODE_OF: Record<number, string> = { 400: 'VALIDATION_FAILED', 401: 'UNAUTHORIZED', 404: 'NOT_FOUND', 413: 'PAYLOAD_TOO_LARGE' };

  /** A 4xx envelope with the code of its status, whose message names `field` (when given); never a 5xx. */
  function expectRefusal(what: string, status: number, body: any, field?: string, allowed: number[] = [400]): void {
    checked += 1;
    const context = `${what} → ${status} ${JSON.stringify(body)?.slice(0, 500)}`;
    if (!allowed.includes(status)) throw new Error(`expected ${allowed.join('/')}: ${context}`);
    if (typeof body !== 'object' || body === null || body.status !== status || typeof body.message !== 'string' || !body.message) throw new Error(`no envelope: ${context}`);
    if (body.code !== CODE_OF[status]) throw new Error(`expected the code ${CODE_OF[status]}: ${context}`);
    if (field !== undefined && !body.message.includes(field)) throw new Error(`message does not name ${field}: ${context}`);
  }

  /** A body refused after the key was checked: the answer carries the key's budget. */
  function expectBudget(what: string, headers: Headers): void {
    for (const name of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) {
      if (!/^\d+$/.test(headers.get(name) ?? '')) throw new Error(`${what}: no ${name} header`);
    }
  }

  /** POSTs `body` with the account's key, or with no key at all when `apiKey` is null. */
  async function post(path: string, body: Buffer | string, headers: Record<string, string> = {}, apiKey: string | null = account.apiKey): Promise<{ status: number; body: any; headers: Headers }> {
    // Through the stack's client, so every answer is also checked against docs/openapi.json.
    return stack.http('POST', path, { ...(apiKey === null ? {} : { apiKey }), rawBody: body, headers: { 'Content-Type': 'application/json', ...headers } });
  }

  /** The JSON text of `body` with the string `marker` replaced by the raw bytes 0xC3 0x28. */
  function withInvalidUtf8(body: unknown, marker = '@@bad@@'): Buffer {
    const [before, after] = JSON.stringify(body).split(marker);
    return Buffer.concat([Buffer.from(before), Buffer.from([0xc3, 0x28]), Buffer.from(after)]);
  }

  const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

  // ---- HTTP bodies -----------------------------------------------------------------------

  it.each([...ROUTES, ...ESTIMATES])('POST $path refuses a maxRowsPerFile no file can have, naming it', async ({ path, body }) => {
    for (const number of HUGE_NUMBERS) {
      const response = await post(path, `${JSON.stringify(body).slice(0, -1)}${Object.keys(body).length ? ',' : ''}"maxRowsPerFile":${number}}`);
      expectRefusal(`${path} maxRowsPerFile ${number}`, response.status, response.body, 'maxRowsPerFile');
    }
  });

  describe.each([...ROUTES, ...ESTIMATES, WEBHOOKS])('POST $path', ({ path, body, strings, lists }) => {
    it('refuses a hostile value in every string field, naming the field', async () => {
      for (const field of [...strings, ...lists]) {
        for (const [name, value] of HOSTILE) {
          for (const candidate of lists.includes(field) ? [value, [value], ['SMS', value]] : [value]) {
            const response = await post(path, JSON.stringify({ ...body, [field]: candidate }));
            expectRefusal(`${path} ${field} with ${name}`, response.status, response.body, field);
          }
        }
        // Unknown keys with hostile names are refused as unknown fields.
        const unknown = await post(path, JSON.stringify({ ...body, [`k\u0000${field}\ud800`]: 1 }));
        expectRefusal(`${path} hostile key`, unknown.status, unknown.body, 'k');
      }
    });

    it('refuses bodies that are not UTF-8, nested 10,000 levels or larger than 64 KB', async () => {
      for (const field of [...strings, ...lists]) {
        const response = await post(path, withInvalidUtf8({ ...body, [field]: '@@bad@@' }));
        expectRefusal(`${path} ${field} with 0xC3 0x28`, response.status, response.body);
        expect(response.body.message).toMatch(/not valid JSON.*UTF-8/);
        expectBudget(`${path} ${field} with 0xC3 0x28`, response.headers);
      }
      for (const raw of [deep(10_000), `{"${strings[0]}":${deep(10_000)}}`, `{"a":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_001)}`]) {
        const response = await post(path, raw);
        expectRefusal(`${path} nested`, response.status, response.body);
        expect(response.body.message).toMatch(/nested more than/);
        expectBudget(`${path} nested`, response.headers);
      }
      const huge = await post(path, JSON.stringify({ ...body, [strings[0]]: 'x'.repeat(65 * 1024) }));
      expectRefusal(`${path} 65 KB`, huge.status, huge.body, undefined, [413]);
      expectBudget(`${path} 65 KB`, huge.headers);
      const hugeUnknown = await post(path, JSON.stringify(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, 1]))));
      expectRefusal(`${path} 5,000 unknown keys`, hugeUnknown.status, hugeUnknown.body, 'k0');
      expect(hugeUnknown.body.details.length).toBeLessThanOrEqual(20);
    });

    it('authenticates before reading the body: without a key, a bad body is a 401', async () => {
      for (const [name, raw] of [
        ['0xC3 0x28', withInvalidUtf8({ ...body, [strings[0]]: '@@bad@@' })],
        ['nested', deep(10_000)],
        ['65 KB', JSON.stringify({ ...body, [strings[0]]: 'x'.repeat(65 * 1024) })],
        ['not JSON', '{"a": ['],
      ] as const) {
        const response = await post(path, raw, {}, null);
        expectRefusal(`${path} ${name} without a key`, response.status, response.body, undefined, [401]);
        expect(response.headers.get('x-ratelimit-limit')).toBeNull();
      }
    });
  });

  it('refuses a hostile value inside an otherwise valid webhook url, naming url', async () => {
    // `new URL` parses these, so only the text check keeps the NUL away from PostgreSQL.
    for (const [name, value] of HOSTILE) {
      const response = await post(WEBHOOKS.path, JSON.stringify({ ...WEBHOOKS.body, url: `https://hooks.example.com/${value}` }));
      expectRefusal(`${WEBHOOKS.path} url with ${name} in its path`, response.status, response.body, 'url');
    }
  });

  // ---- HTTP query strings and path --------------------------------------------------------

  const QUERIES: Array<{ path: string; base: Record<string, string>; params: string[] }> = [
    { path: '/exports', base: {}, params: ['page', 'limit', 'status', 'type'] },
    { path: '/messages/history', base: { channel: 'SMS', from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }, params: ['channel', 'from', 'to', 'timezone', 'status', 'limit', 'page', 'cursor'] },
    // The platform's base path reaches the same routes, and the same refusals.
    { path: '/api/partner-gateway/v1/exports', base: {}, params: ['page', 'limit', 'status', 'type'] },
    // Checked before the export or endpoint is looked up: an unknown id changes nothing.
    { path: `/exports/${randomUUID()}/download`, base: {}, params: ['part'] },
    { path: `/exports/${randomUUID()}/downloads`, base: {}, params: ['page', 'limit'] },
    { path: '/webhooks', base: {}, params: ['page', 'limit'] },
    { path: `/webhooks/${randomUUID()}/deliveries`, base: {}, params: ['page', 'limit'] },
  ];
  /** Already percent-encoded, as they travel in a URL. */
  const HOSTILE_IN_URL = ['%00', 'a%00b', '%C3%28', '%ED%A0%80', '%FF', '1e20', '1e9', '-1e9', '%'];

  it.each(QUERIES)('GET $path refuses a hostile value in every query parameter, naming it', async ({ path, base, params }) => {
    for (const param of params) {
      for (const value of HOSTILE_IN_URL) {
        const query = Object.entries({ ...base, [param]: undefined })
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${k}=${encodeURIComponent(v!)}`)
          .concat(`${param}=${value}`)
          .join('&');
        const response = await stack.http('GET', `${path}?${query}`, { apiKey: account.apiKey });
        expectRefusal(`GET ${path}?${query}`, response.status, response.body, param);
      }
    }
  });

  /** Every route with an id in its path: the route with `{id}` for it, and the id's name. */
  const ID_ROUTES: Array<[string, string, string]> = [
    ['GET', '/exports/{id}', 'exportId'],
    ['POST', '/exports/{id}', 'exportId'],
    ['POST', '/exports/{id}/cancel', 'exportId'],
    ['GET', '/exports/{id}/download', 'exportId'],
    ['GET', '/exports/{id}/downloads', 'exportId'],
    ['GET', '/webhooks/{id}', 'webhookId'],
    ['DELETE', '/webhooks/{id}', 'webhookId'],
    ['POST', '/webhooks/{id}/rotate-secret', 'webhookId'],
    ['GET', '/webhooks/{id}/deliveries', 'webhookId'],
  ];

  it.each(ID_ROUTES)('%s %s answers hostile ids as unknown ones (404, naming %s), or a 400 when the URL cannot be decoded', async (method, route, idName) => {
    for (const value of HOSTILE_IN_URL) {
      const response = await stack.http(method, route.replace('{id}', value), { apiKey: account.apiKey });
      let decodable = true;
      try {
        decodeURIComponent(value);
      } catch {
        decodable = false;
      }
      if (decodable) {
        expectRefusal(`${method} ${route} with ${value}`, response.status, response.body, undefined, [404]);
        expect(response.body.details).toBeUndefined();
        expect(response.body.message).toContain(idName);
      } else {
        expectRefusal(`${method} ${route} with ${value}`, response.status, response.body);
        expect(response.body.message).toMatch(/decode param/);
      }
    }
  });

  it.each(['/exports/{id}', '/exports/{id}/cancel', '/webhooks/{id}/rotate-secret'])('POST %s, which takes no body, refuses a hostile one all the same', async (route) => {
    const path = route.replace('{id}', randomUUID());
    for (const [name, raw] of [
      ['nested 10,000 levels', deep(10_000)],
      ['0xC3 0x28', withInvalidUtf8({ a: '@@bad@@' })],
      ['a huge number', '{"a":1e400}'],
      ['NUL', '{"a":"\\u0000"}'],
    ] as const) {
      const response = await post(path, raw);
      // Read and refused before the route, or an unknown id (404): never a 5xx.
      expectRefusal(`POST ${route} ${name}`, response.status, response.body, undefined, [400, 404]);
      if (name === 'nested 10,000 levels') expect(response.body.message).toMatch(/nested more than/);
    }
  });

  // ---- NATS request-reply ------------------------------------------------------------------

  async function natsRequest(subject: string, payload: string | Uint8Array): Promise<any> {
    const reply = await nats.request(stack.namespace.subject(accountSubject(subject, account.accountId)), payload, { timeout: 10_000 });
    return JSON.parse(reply.string());
  }
  const envelope = (subject: string, data: unknown) => JSON.stringify({ pattern: stack.namespace.subject(subject), data, id: randomUUID() });
  const browse = { channel: ['SMS'], from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' };

  /** Each subject's valid payload and its string fields (dotted: inside `request`). */
  const SUBJECTS: Array<{ subject: string; data: () => Record<string, unknown>; fields: string[] }> = [
    ...ROUTES.map(({ type, body, strings, lists }) => ({
      subject: Subjects.requests.exportsCreate,
      data: () => ({ accountId: account.accountId, type, request: body }),
      fields: ['accountId', 'type', 'idempotencyKey', ...[...strings, ...lists].map((f) => `request.${f}`)],
    })),
    ...ROUTES.map(({ type, body, strings, lists }) => ({
      subject: Subjects.requests.exportsEstimate,
      data: () => ({ accountId: account.accountId, type, request: body }),
      fields: ['accountId', 'type', ...[...strings, ...lists].map((f) => `request.${f}`)],
    })),
    { subject: Subjects.requests.exportsGet, data: () => ({ accountId: account.accountId, exportId: randomUUID() }), fields: ['accountId', 'exportId'] },
    { subject: Subjects.requests.exportsCancel, data: () => ({ accountId: account.accountId, exportId: randomUUID() }), fields: ['accountId', 'exportId'] },
    { subject: Subjects.requests.exportsDownloads, data: () => ({ accountId: account.accountId, exportId: randomUUID() }), fields: ['accountId', 'exportId', 'page', 'limit'] },
    { subject: Subjects.requests.exportsList, data: () => ({ accountId: account.accountId }), fields: ['accountId', 'status', 'type', 'page', 'limit'] },
    { subject: Subjects.requests.historyBrowse, data: () => ({ accountId: account.accountId, ...browse }), fields: ['accountId', 'channel', 'from', 'to', 'status', 'cursor', 'page', 'limit'] },
  ];

  it.each(SUBJECTS)('$subject refuses a hostile value in every string field, naming it ($fields)', async ({ subject, data, fields }) => {
    for (const path of fields) {
      const [outer, inner] = path.split('.');
      const field = inner ?? outer;
      for (const [name, value] of HOSTILE) {
        const payload = data();
        if (inner) payload[outer] = { ...(payload[outer] as object), [inner]: value };
        else payload[outer] = value;
        const reply = await natsRequest(subject, envelope(subject, payload));
        expectRefusal(`${subject} ${path} with ${name}`, reply.err?.status, reply.err, field);
      }
      const bad = data();
      if (inner) bad[outer] = { ...(bad[outer] as object), [inner]: '@@bad@@' };
      else bad[outer] = '@@bad@@';
      const raw = withInvalidUtf8({ pattern: stack.namespace.subject(subject), data: bad, id: randomUUID() });
      const reply = await natsRequest(subject, raw);
      expectRefusal(`${subject} ${path} with 0xC3 0x28`, reply.err?.status, reply.err);
      expect(reply.err.message).toMatch(/not valid JSON.*UTF-8/);
    }
  });

  it.each([Subjects.requests.exportsList, Subjects.requests.historyBrowse])('%s refuses page=1e20 and limit=1e9, naming them', async (subject) => {
    const base = subject === Subjects.requests.historyBrowse ? { accountId: account.accountId, ...browse } : { accountId: account.accountId };
    for (const [field, value] of [['page', 1e20], ['page', 1e9], ['limit', 1e9], ['page', '1e20']] as const) {
      const reply = await natsRequest(subject, envelope(subject, { ...base, [field]: value }));
      expectRefusal(`${subject} ${field}=${value}`, reply.err?.status, reply.err, field);
    }
  });

  it.each([Subjects.requests.exportsCreate, Subjects.requests.exportsEstimate])('%s refuses a maxRowsPerFile no file can have, naming it', async (subject) => {
    for (const number of HUGE_NUMBERS) {
      const payload = `{"pattern":"${stack.namespace.subject(subject)}","id":"1","data":{"accountId":"${account.accountId}","type":"CONTACTS","request":{"maxRowsPerFile":${number}}}}`;
      const reply = await natsRequest(subject, payload);
      expectRefusal(`${subject} maxRowsPerFile ${number}`, reply.err?.status, reply.err, 'maxRowsPerFile');
    }
  });

  it.each(SUBJECTS.slice(2))('$subject refuses 10,000 levels of nesting and a payload near max_payload, and lives on', async ({ subject, data }) => {
    const nested = await natsRequest(subject, `{"pattern":"${stack.namespace.subject(subject)}","id":"1","data":{"accountId":${deep(10_000)}}}`);
    expectRefusal(`${subject} nested`, nested.err?.status, nested.err);
    expect(nested.err.message).toMatch(/nested more than/);

    const room = nats.info!.max_payload - 4096;
    const big = await natsRequest(subject, envelope(subject, { ...data(), accountId: 'a'.repeat(room) }));
    expectRefusal(`${subject} near max_payload`, big.err?.status, big.err, 'accountId');
    const keys = await natsRequest(subject, envelope(subject, { ...data(), ...Object.fromEntries(Array.from({ length: Math.floor(room / 24) }, (_, i) => [`unknown${i}`, 1])) }));
    expectRefusal(`${subject} many unknown keys`, keys.err?.status, keys.err, 'unknown0');
    const ok = await natsRequest(subject, envelope(subject, data()));
    expect(ok.err?.status ?? 200).toBeLessThan(500);
  });

  it('every app is still up, and no request was answered with a 5xx', async () => {
    for (const child of processes) expect({ exitCode: child.exitCode, signal: child.signalCode }).toEqual({ exitCode: null, signal: null });
    expect((await stack.ops('api-gateway', '/health/ready')).status).toBe(200);
    expect(stack.logsOf('api-gateway').filter((l) => /"status":5\d\d/.test(l) && l.includes('HTTP request'))).toEqual([]);
    expect([...stack.logsOf('api-gateway'), ...stack.logsOf('history-service')].filter((l) => l.includes('Unhandled'))).toEqual([]);
  });
});
