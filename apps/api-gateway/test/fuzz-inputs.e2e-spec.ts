import { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { NatsConnection } from 'nats';
import { accountSubject, ErrorCode, STATUS_OF_ERROR, Subjects } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { TestStack, waitUntil } from '@exports/testing';

/**
 * Malformed input, generated with fast-check (fixed seed, bounded runs), at every HTTP route
 * and NATS subject: no 5xx, no crash, and every 4xx is the error envelope naming the problem.
 * Malformed ingestion events are terminated and the consumers move on.
 */
describe('fuzzing every route and subject (e2e)', () => {
  const SEED = 20260101;
  const RUNS = 100;
  const stack = new TestStack({
    apps: ['api-gateway', 'export-worker', 'history-service'],
    // Generated keys are all wrong: the throttle of unauthenticated requests would answer 429 after 30.
    env: { EXPORT_MAX_OPEN_PER_ACCOUNT: '100000', RATE_LIMIT_REQUESTS: '100000', AUTH_FAILURES_PER_MINUTE: '100000' },
  });
  let account: CreatedAccount;
  let nats: NatsConnection;
  let existingExportId: string;
  const figures = { http: 0, nats: 0, events: 0, statuses: {} as Record<string, number> };
  const processes: ChildProcess[] = [];

  beforeAll(async () => {
    await stack.start();
    for (const app of ['api-gateway', 'export-worker', 'history-service'] as const) processes.push(...stack.instances(app));
    account = await stack.createAccount('fuzz account');
    nats = await stack.natsConnection();
    existingExportId = (await stack.http('POST', '/exports/contacts', { apiKey: account.apiKey, body: {} })).body.exportId;
  });

  afterAll(async () => {
    process.stdout.write(`fuzz-inputs: ${JSON.stringify(figures)}\n`);
    await stack.stop();
  }, 60_000);

  // ---- generators ----------------------------------------------------------------------

  const CODES = new Set<unknown>(Object.values(ErrorCode));

  const DAY_MS = 86_400_000;
  /** Calendar days a request may name: plain dates are valid bounds, resolved in the request's time zone. */
  const plainDate = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2199-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  const date = fc.oneof(
    fc.constantFrom('2026-01-01T00:00:00Z', '2026-01-01T00:00:00+01:00', '2026-01-01', '2026-01-01T00:00:00', '2026-02-30T00:00:00Z', '2026-02-30', '2026-13-01', '1999-12-31T23:59:59-05:00', '9999-12-31T23:59:59Z', ''),
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    plainDate,
    fc.string(),
  );
  /** Zones with odd offsets and DST changes at midnight, as the days of plain dates are read in them. */
  const zoneOfDays = fc.constantFrom(undefined, 'UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham', 'America/St_Johns', 'America/Santiago', 'Asia/Tehran', 'Pacific/Kiritimati', 'Pacific/Pago_Pago');
  /** Two calendar days at most 300 days apart, in either order. */
  const dayPair = fc.tuple(plainDate, fc.integer({ min: -300, max: 300 })).map(([day, shift]) => [day, new Date(Date.parse(day) + shift * DAY_MS).toISOString().slice(0, 10)] as const);
  const junk = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string(), fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }));
  const fieldValue = (valid: fc.Arbitrary<unknown>) => fc.oneof(valid, junk);
  const channel = fc.oneof(fc.constantFrom('SMS', 'RCS', 'WHATSAPP', 'FAX', 'sms', ''), fc.array(fc.constantFrom('SMS', 'RCS', 'WHATSAPP', 'EMAIL'), { maxLength: 4 }));
  const status = fc.oneof(fc.constantFrom('SENT', 'DELIVERED', 'ERROR', 'READ', ''), fc.array(fc.constantFrom('SENT', 'EXPIRED', 'UNKNOWN', 'LOST'), { maxLength: 7 }));
  const ids = fc.oneof(fc.array(fc.oneof(fc.constantFrom('vip', 'c-1', '', 'a b', 'x'.repeat(200)), fc.string()), { maxLength: 5 }), junk);
  const timezone = fc.oneof(fc.constantFrom('UTC', 'Europe/Paris', 'Mars/Olympus', '+01:00', ''), junk);
  const unknownKey = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k));

  /** Objects built from the route's own fields (valid or not) and unknown ones. */
  const bodyFrom = (fields: Record<string, fc.Arbitrary<unknown>>) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.record(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, fieldValue(v)])), { requiredKeys: [] }) },
      { weight: 1, arbitrary: fc.dictionary(unknownKey, junk, { maxKeys: 4 }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    );

  const contactsBody = bodyFrom({ listIds: ids, contactIds: ids, timezone });
  const deliveryBody = bodyFrom({ campaignId: fc.string(), startDateTime: date, endDateTime: date, channel, status, timezone });
  const historyExportBody = bodyFrom({ startDateTime: date, endDateTime: date, channel, status, sender: fc.string(), recipient: fc.string(), timezone });
  const browseQuery = bodyFrom({ channel, from: date, to: date, status, limit: fc.oneof(fc.integer({ min: -5, max: 200 }), fc.string()), page: fc.oneof(fc.integer({ min: -2, max: 2_000_000 }), fc.string()), cursor: fc.oneof(fc.string(), fc.constant('abc.defghijklmnopqrstu')) });
  const listQuery = bodyFrom({ page: fc.oneof(fc.integer({ min: -2, max: 1e9 }), fc.string()), limit: fc.oneof(fc.integer({ min: -2, max: 500 }), fc.string()), status: fc.oneof(fc.constantFrom('PENDING', 'COMPLETED', 'EXPIRED', 'FAILED', 'DONE'), fc.string()), type: fc.oneof(fc.constantFrom('CONTACTS', 'DELIVERY_REPORTS', 'MESSAGE_HISTORY', 'ALL'), fc.string()) });
  const webhookBody = bodyFrom({
    url: fc.oneof(fc.constantFrom('https://hooks.example.com/exports', 'http://127.0.0.1:1/hooks', 'ftp://hooks.example.com/', 'https://user:pw@hooks.example.com/', 'https://[::1]/', 'https://', ''), fc.webUrl(), fc.string()),
    events: fc.oneof(fc.constantFrom('export.completed', ''), fc.array(fc.constantFrom('export.completed', 'export.failed', 'export.expired', 'export.cancelled', 'export.started', ''), { maxLength: 6 })),
  });
  const pageQuery = bodyFrom({ page: fc.oneof(fc.integer({ min: -2, max: 1e9 }), fc.string()), limit: fc.oneof(fc.integer({ min: -2, max: 500 }), fc.string()) });
  const partQuery = bodyFrom({ part: fc.oneof(fc.integer({ min: -2, max: 1e7 }), fc.double(), fc.string()) });
  const exportIdParam = fc.oneof(fc.uuid(), fc.constant('not-a-uuid'), fc.string({ minLength: 1 }), fc.constant(randomUUID().toUpperCase()), fc.constant('00000000-0000-0000-0000-000000000000'));
  /** Header values fetch can send: visible ASCII and spaces. */
  const headerValue = fc.oneof(fc.string({ maxLength: 300 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x')), fc.constant(''), fc.constant(' '));
  const rawBody = fc.oneof(fc.string(), fc.constantFrom('{', '[1,2]', 'null', '"text"', '{"listIds": [', '{"a":1}{"b":2}', '\u0000', 'true'));

  function toQuery(value: unknown): string {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return `?q=${encodeURIComponent(JSON.stringify(value))}`;
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(value)) {
      if (Array.isArray(v)) for (const item of v) params.append(k, typeof item === 'string' ? item : JSON.stringify(item));
      else params.append(k, typeof v === 'string' ? v : JSON.stringify(v));
    }
    return `?${params.toString()}`;
  }

  // ---- the property --------------------------------------------------------------------

  /** No 5xx; a 4xx is the envelope, with a message, and a validation error names each field it lists. */
  function expectGoodAnswer(what: string, status: number, body: any): void {
    figures.statuses[status] = (figures.statuses[status] ?? 0) + 1;
    const context = `${what} → ${status} ${JSON.stringify(body)}`;
    if (status >= 500) throw new Error(`server error: ${context}`);
    if (status < 400) return;
    if (typeof body !== 'object' || body === null || body.status !== status || typeof body.error !== 'string' || typeof body.message !== 'string' || !body.message.trim()) {
      throw new Error(`4xx without the error envelope: ${context}`);
    }
    // Every code is from the catalogue, and always comes with its own status.
    if (!CODES.has(body.code) || STATUS_OF_ERROR[body.code as ErrorCode] !== status) throw new Error(`code not in the catalogue, or not of this status: ${context}`);
    if (body.stack !== undefined || /at .*\.js:\d+/.test(body.message)) throw new Error(`stack trace leaked: ${context}`);
    if (body.details !== undefined) {
      if (!Array.isArray(body.details) || !body.details.length) throw new Error(`empty details: ${context}`);
      for (const detail of body.details) {
        if (typeof detail.field !== 'string' || !detail.field || typeof detail.message !== 'string' || !detail.message) throw new Error(`bad detail: ${context}`);
        if (!body.message.includes(detail.field.split(/[.[]/)[0])) throw new Error(`message does not name ${detail.field}: ${context}`);
      }
    }
    if (status === 400 && body.details === undefined && !/JSON|object|Idempotency-Key|expired|regenerate/i.test(body.message)) {
      throw new Error(`400 without details that names nothing: ${context}`);
    }
  }

  /** A request with the account's key, its answer checked, then given back. */
  async function answer(method: string, path: string, options: Parameters<TestStack['http']>[2]): Promise<{ status: number; body: any }> {
    figures.http += 1;
    const response = await stack.http(method, path, { apiKey: account.apiKey, ...options });
    expectGoodAnswer(`${method} ${path} ${JSON.stringify(options?.body ?? options?.rawBody ?? '')}`, response.status, response.body);
    return response;
  }

  async function http(method: string, path: string, options: Parameters<TestStack['http']>[2]): Promise<void> {
    await answer(method, path, options);
  }

  /** Where a resolved bound falls in `timeZone`: the calendar day and the time of day, to the millisecond. */
  function wallClock(value: string, timeZone = 'UTC'): { day: string; time: string } {
    const instant = Date.parse(value);
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
        .formatToParts(new Date(instant))
        .map((part) => [part.type, part.value]),
    );
    return { day: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}:${parts.second}.${String(((instant % 1000) + 1000) % 1000).padStart(3, '0')}` };
  }

  /** A plain-date bound resolved to the first instant of its day (the previous instant is the day before), or the last one. */
  function expectDayBound(resolved: unknown, day: string, side: 'start' | 'end', timeZone?: string): void {
    const context = `${day} (${side}, ${timeZone ?? 'no zone'}) resolved to ${String(resolved)}`;
    if (typeof resolved !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3,6}[+-]\d{2}:\d{2}$/.test(resolved)) throw new Error(`not a date-time with an offset: ${context}`);
    const here = wallClock(resolved, timeZone);
    const beyond = wallClock(new Date(Date.parse(resolved) + (side === 'start' ? -1 : 1)).toISOString(), timeZone);
    if (here.day !== day || beyond.day === day) throw new Error(`not the ${side} of the day: ${context}`);
    if (side === 'end' && !resolved.includes('.999999')) throw new Error(`the end of a day is its last microsecond: ${context}`);
  }

  const check = (property: fc.IAsyncProperty<any>) => fc.assert(property, { seed: SEED, numRuns: RUNS });

  // ---- HTTP ----------------------------------------------------------------------------

  it.each([
    ['/exports/contacts', contactsBody],
    ['/exports/delivery-reports', deliveryBody],
    ['/messages/history/export', historyExportBody],
  ])('POST %s with generated bodies and Idempotency-Keys', async (path, body) => {
    await check(fc.asyncProperty(body, fc.option(headerValue, { nil: undefined }), async (value, key) => http('POST', path, { body: value, headers: key === undefined ? {} : { 'Idempotency-Key': key } })));
    await check(fc.asyncProperty(rawBody, fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'), async (raw, type) => http('POST', path, { rawBody: raw, headers: { 'Content-Type': type } })));
  });

  it('GET /exports with generated query strings', async () => {
    await check(fc.asyncProperty(listQuery, async (query) => http('GET', `/exports${toQuery(query)}`, {})));
  });

  it('GET and POST /exports/{exportId} with generated ids: malformed and unknown ids alike are a 404 without details', async () => {
    await check(
      fc.asyncProperty(exportIdParam, fc.constantFrom('GET', 'POST'), async (id, method) => {
        const response = await answer(method, `/exports/${encodeURIComponent(id)}`, {});
        // `.` and `..` are path segments: the URL is another route then.
        if (id === '.' || id === '..') return;
        if (response.status !== 404 || response.body.code !== 'NOT_FOUND' || response.body.details !== undefined) {
          throw new Error(`${method} /exports/${id} → ${response.status} ${JSON.stringify(response.body)}`);
        }
      }),
    );
    const existing = await answer('GET', `/exports/${existingExportId}`, {});
    expect(existing.status).toBe(200);
    expect(existing.body).toMatchObject({ exportId: existingExportId, type: 'CONTACTS' });
  });

  it('POST /webhooks with generated bodies', async () => {
    await check(fc.asyncProperty(webhookBody, async (value) => http('POST', '/webhooks', { body: value })));
    await check(fc.asyncProperty(rawBody, async (raw) => http('POST', '/webhooks', { rawBody: raw, headers: { 'Content-Type': 'application/json' } })));
  });

  it('the lists of webhooks, deliveries and downloads, and the download, with generated query strings', async () => {
    const unknown = randomUUID();
    for (const path of ['/webhooks', `/webhooks/${unknown}/deliveries`, `/exports/${existingExportId}/downloads`]) {
      await check(fc.asyncProperty(pageQuery, async (query) => http('GET', `${path}${toQuery(query)}`, {})));
    }
    await check(fc.asyncProperty(partQuery, async (query) => http('GET', `/exports/${existingExportId}/download${toQuery(query)}`, { redirect: 'manual' })));
  });

  it.each([
    ['POST', '/exports/{id}/cancel'],
    ['GET', '/exports/{id}/download'],
    ['GET', '/exports/{id}/downloads'],
    ['GET', '/webhooks/{id}'],
    ['DELETE', '/webhooks/{id}'],
    ['POST', '/webhooks/{id}/rotate-secret'],
    ['GET', '/webhooks/{id}/deliveries'],
  ])('%s %s with generated ids: malformed and unknown ids alike are a 404 without details', async (method, route) => {
    await check(
      fc.asyncProperty(exportIdParam, async (id) => {
        if (id === '.' || id === '..') return;
        const response = await answer(method, route.replace('{id}', encodeURIComponent(id)), { redirect: 'manual' });
        if (response.status !== 404 || response.body.code !== 'NOT_FOUND' || response.body.details !== undefined) {
          throw new Error(`${method} ${route} with ${id} → ${response.status} ${JSON.stringify(response.body)}`);
        }
      }),
    );
  });

  it('GET /messages/history with generated query strings', async () => {
    await check(fc.asyncProperty(browseQuery, async (query) => http('GET', `/messages/history${toQuery(query)}`, {})));
  });

  it('plain dates are valid bounds: exports take them as whole days in their time zone, browsing answers 200', async () => {
    await check(
      fc.asyncProperty(dayPair, zoneOfDays, async ([first, second], timezone) => {
        const [start, end] = first <= second ? [first, second] : [second, first];
        const created = await answer('POST', '/exports/delivery-reports', { body: { startDateTime: start, endDateTime: end, ...(timezone ? { timezone } : {}) } });
        if (created.status !== 202) throw new Error(`${start}..${end} in ${timezone} refused: ${created.status} ${JSON.stringify(created.body)}`);
        expectDayBound(created.body.filters.startDateTime, start, 'start', timezone);
        expectDayBound(created.body.filters.endDateTime, end, 'end', timezone);
        // A reversed range is an empty page when browsing, not an error.
        const zone = timezone ? `&timezone=${encodeURIComponent(timezone)}` : '';
        const browsed = await answer('GET', `/messages/history?channel=SMS&from=${first}&to=${second}${zone}`, {});
        if (browsed.status !== 200) throw new Error(`browse ${first}..${second} in ${timezone}: ${browsed.status} ${JSON.stringify(browsed.body)}`);
      }),
    );
  });

  it('every route with generated API keys', async () => {
    const routes: Array<[string, string]> = [
      ['POST', '/exports/contacts'],
      ['POST', '/exports/delivery-reports'],
      ['POST', '/messages/history/export'],
      ['GET', '/exports'],
      ['GET', `/exports/${existingExportId}`],
      ['POST', `/exports/${existingExportId}`],
      ['GET', '/messages/history?channel=SMS&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z'],
    ];
    await check(
      fc.asyncProperty(fc.constantFrom(...routes), headerValue, async ([method, path], key) => {
        figures.http += 1;
        const response = await stack.http(method, path, { apiKey: key, body: method === 'POST' ? {} : undefined });
        expectGoodAnswer(`${method} ${path} key=${JSON.stringify(key)}`, response.status, response.body);
        expect(response.status).toBe(401);
      }),
    );
  });

  // ---- NATS request-reply --------------------------------------------------------------

  /** A request as Nest's NATS client sends it; the reply is `{ id, response }` or `{ id, err }`. */
  async function natsRequest(subject: string, payload: string | Uint8Array): Promise<void> {
    figures.nats += 1;
    const reply = await nats.request(stack.namespace.subject(accountSubject(subject, account.accountId)), payload, { timeout: 5000 });
    const parsed = JSON.parse(reply.string());
    if (parsed.err !== undefined) expectGoodAnswer(`${subject} ${String(payload)}`, parsed.err.status, parsed.err);
    else expect(parsed).toHaveProperty('response');
  }

  const natsData: Record<string, fc.Arbitrary<unknown>> = {
    [Subjects.requests.exportsCreate]: bodyFrom({ accountId: fc.oneof(fc.constant(''), fc.uuid()), type: fc.constantFrom('CONTACTS', 'DELIVERY_REPORTS', 'MESSAGE_HISTORY', 'OTHER'), request: fc.oneof(contactsBody, deliveryBody, historyExportBody), idempotencyKey: headerValue }),
    [Subjects.requests.exportsGet]: bodyFrom({ accountId: fc.oneof(fc.constant(''), fc.uuid()), exportId: exportIdParam }),
    [Subjects.requests.exportsList]: bodyFrom({ accountId: fc.oneof(fc.constant(''), fc.uuid()), page: fc.integer({ min: -1, max: 10 }), limit: fc.integer({ min: -1, max: 1000 }), status: fc.string(), type: fc.string() }),
    [Subjects.requests.historyBrowse]: bodyFrom({ accountId: fc.oneof(fc.constant(''), fc.uuid()), channel, from: date, to: date, status, limit: fc.integer({ min: -5, max: 200 }), page: fc.integer({ min: -2, max: 10 }), cursor: fc.string() }),
  };

  it.each(Object.keys(natsData))('%s with generated payloads', async (subject) => {
    await check(
      fc.asyncProperty(natsData[subject], async (data) => {
        await natsRequest(subject, JSON.stringify({ pattern: stack.namespace.subject(subject), data, id: randomUUID() }));
      }),
    );
  });

  it.each(Object.keys(natsData))('%s with requests that are not JSON: the service lives on', async (subject) => {
    const garbage = ['not json', '{"pattern":', '\u0000\u0001', '[]', '"x"', '42'];
    for (const payload of garbage) {
      figures.nats += 1;
      await nats.request(stack.namespace.subject(accountSubject(subject, account.accountId)), payload, { timeout: 1000 }).then(
        (reply) => {
          const parsed = JSON.parse(reply.string());
          if (parsed.err !== undefined && typeof parsed.err === 'object') expectGoodAnswer(`${subject} ${payload}`, parsed.err.status, parsed.err);
        },
        (error: Error) => expect(String(error)).toMatch(/TIMEOUT|503|no responders/i),
      );
    }
    // A request that is not JSON at all is answered with the 400 envelope.
    const reply = JSON.parse((await nats.request(stack.namespace.subject(accountSubject(subject, account.accountId)), 'not json', { timeout: 5000 })).string());
    expect(reply.err).toMatchObject({ status: 400, error: 'Bad Request', message: 'The request must be a JSON object' });
    await natsRequest(Subjects.requests.exportsList, JSON.stringify({ pattern: stack.namespace.subject(Subjects.requests.exportsList), data: { accountId: account.accountId }, id: 'alive' }));
    const browse = { accountId: account.accountId, channel: ['SMS'], from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' };
    await natsRequest(Subjects.requests.historyBrowse, JSON.stringify({ pattern: stack.namespace.subject(Subjects.requests.historyBrowse), data: browse, id: 'alive' }));
  });

  // ---- ingestion -----------------------------------------------------------------------

  it('malformed platform events are terminated and the next valid one is applied', async () => {
    const terminatedBefore = () => [...stack.logsOf('export-worker'), ...stack.logsOf('history-service')].filter((l) => l.includes('"message":"Invalid event terminated"')).length;
    const before = terminatedBefore();
    const notUuid = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant(undefined)).filter((v) => typeof v !== 'string' || !/^[0-9a-f-]{36}$/i.test(v));
    const contact = fc.record({ id: fc.oneof(fc.string(), junk), phoneNumber: fc.oneof(fc.string(), junk), email: fc.oneof(fc.emailAddress(), junk), createdAt: date, updatedAt: date }, { requiredKeys: [] });
    const message = fc.record({ messageId: fc.string(), channel, direction: fc.constantFrom('OUTBOUND', 'INBOUND', 'SIDEWAYS'), sender: fc.string(), destination: fc.string(), body: fc.string(), status, sendDate: date, cost: fc.oneof(fc.double(), junk), parts: fc.oneof(fc.integer(), junk) }, { requiredKeys: [] });
    const events: Record<string, fc.Arbitrary<unknown>> = {
      [Subjects.platform.contactsUpserted]: fc.record({ accountId: notUuid, contact }, { requiredKeys: ['accountId'] }),
      [Subjects.platform.contactsDeleted]: fc.record({ accountId: notUuid, contactId: fc.oneof(fc.string(), junk), deletedAt: date }, { requiredKeys: ['accountId'] }),
      [Subjects.platform.messagesRecorded]: fc.record({ accountId: notUuid, message }, { requiredKeys: ['accountId'] }),
      [Subjects.platform.messagesStatus]: fc.record({ accountId: notUuid, messageId: fc.string(), status, occurredAt: date }, { requiredKeys: ['accountId'] }),
    };
    let published = 0;
    for (const [subject, arbitrary] of Object.entries(events)) {
      await check(
        fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: arbitrary.map((v) => JSON.stringify(v)) }, { weight: 1, arbitrary: rawBody }), async (payload) => {
          await stack.publishFor(randomUUID(), subject, payload);
          published += 1;
        }),
      );
    }
    figures.events += published;

    const marker = `fuzz-after-${randomUUID()}`;
    await stack.publishFor(account.accountId, Subjects.platform.contactsUpserted, { accountId: account.accountId, contact: { id: marker, email: 'after@example.com', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' } });
    await stack.publishFor(account.accountId, Subjects.platform.messagesRecorded, {
      accountId: account.accountId,
      message: { messageId: marker, channel: 'SMS', direction: 'OUTBOUND', sender: 'ACME', destination: '+33611111111', body: 'after the fuzz', status: 'SENT', sendDate: '2026-01-01T00:00:00Z' },
    });
    await waitUntil('valid events applied after the malformed ones', async () => {
      const contacts = (await stack.query(`SELECT count(*)::int AS n FROM contacts WHERE id = $1`, [marker]))[0].n;
      const messages = (await stack.query(`SELECT count(*)::int AS n FROM messages WHERE message_id = $1`, [marker]))[0].n;
      return contacts === 1 && messages === 1;
    });
    expect(terminatedBefore() - before).toBe(published);
  });

  it('every app is still up and ready after all of it', async () => {
    for (const child of processes) expect({ exitCode: child.exitCode, signal: child.signalCode }).toEqual({ exitCode: null, signal: null });
    expect((await stack.ops('api-gateway', '/health/ready')).status).toBe(200);
    const browse = await stack.http('GET', '/messages/history?channel=SMS&from=2025-12-31T00:00:00Z&to=2026-01-02T00:00:00Z', { apiKey: account.apiKey });
    expect(browse.status).toBe(200);
    expect(browse.body.messages.length).toBe(1);
    expect(stack.logsOf('api-gateway').filter((l) => /"status":5\d\d/.test(l) && l.includes('HTTP request'))).toEqual([]);
  });
});
