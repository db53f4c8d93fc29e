import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Subjects } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { freePort, HttpResult, sleep, TestStack, waitUntil } from '@exports/testing';

const ROOT = resolve(__dirname, '../../..');
const DOCUMENT = resolve(ROOT, 'docs/openapi.json');
const PRISM = resolve(ROOT, 'node_modules/@stoplight/prism-cli/dist/index.js');
const BASE_PATH = '/api/partner-gateway/v1';

/**
 * Stoplight Prism as a validating proxy (`prism proxy --errors`) in front of the gateway: it checks
 * each request and each response against docs/openapi.json. A violation shows as an
 * `sl-violations` header (a JSON list, each entry with a location and a message), and with
 * `--errors` an invalid request is answered by Prism itself (422, or 401 without the key) and an
 * invalid response is replaced by Prism's 500, both as application/problem+json.
 */
class PrismProxy {
  readonly lines: string[] = [];
  url = '';
  private child?: ChildProcess;

  constructor(private readonly document = DOCUMENT) {}

  async start(upstream: string): Promise<void> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, [PRISM, 'proxy', this.document, upstream, '--errors', '--host', '127.0.0.1', '--port', String(port)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    await waitUntil(`Prism listening (${this.lines.slice(-5).join(' | ')})`, () => {
      if (child.exitCode !== null) throw new Error(`Prism exited with ${child.exitCode}:\n${this.lines.join('\n')}`);
      return this.lines.some((line) => line.includes('Prism is listening'));
    }, 60_000, 100);
  }

  /** Prism's log lines that report a violation (it logs each one it finds). */
  violationLines(): string[] {
    return this.lines.filter((line) => /Violation:|VIOLATIONS|UNPROCESSABLE_ENTITY|NO_PATH_MATCHED|NO_METHOD_MATCHED/.test(line));
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.kill('SIGTERM');
    await exited;
    clearTimeout(force);
  }
}

describe('Prism validating proxy in front of the gateway (e2e)', () => {
  const RATE_LIMIT = 60;
  const stack = new TestStack({
    apps: ['api-gateway', 'export-worker', 'history-service'],
    env: { RATE_LIMIT_REQUESTS: String(RATE_LIMIT), RATE_LIMIT_WINDOW_SECONDS: '3600' },
  });
  const prism = new PrismProxy();
  let account: CreatedAccount;
  /** Every response through the proxy, with what Prism said about it. */
  const seen: Array<{ route: string; status: number; violations: unknown; prismError: boolean }> = [];

  /** A request through the proxy (under the platform base path upstream). */
  async function through(method: string, path: string, options: { apiKey?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<HttpResult> {
    const response = await stack.http(method, path, { apiKey: account.apiKey, ...options, via: prism.url });
    const header = response.headers.get('sl-violations');
    seen.push({
      route: `${method} ${path}`,
      status: response.status,
      violations: header ? JSON.parse(header) : undefined,
      prismError: (response.headers.get('content-type') ?? '').startsWith('application/problem+json'),
    });
    return response;
  }

  /** Every response so far passed through untouched: no violation reported, no answer of Prism's own. */
  function expectNoViolation(): void {
    expect(seen.filter((entry) => entry.violations !== undefined || entry.prismError)).toEqual([]);
    expect(prism.violationLines()).toEqual([]);
  }

  async function poll(exportId: string): Promise<HttpResult> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const response = await through('GET', `/exports/${exportId}`);
      if (response.status !== 200 || response.body.status !== 'PENDING') return response;
      if (Date.now() > deadline) throw new Error(`Export ${exportId} still PENDING`);
      await sleep(500);
    }
  }

  beforeAll(async () => {
    await stack.start();
    account = await stack.createAccount('prism');
    await prism.start(`${stack.baseUrl}${BASE_PATH}`);
    const contact = { id: 'c-1', phoneNumber: '+33612345670', firstName: 'Ada', createdAt: '2026-01-15T10:30:00Z', updatedAt: '2026-01-20T08:00:00Z' };
    await stack.publishFor(account.accountId, Subjects.platform.contactsUpserted, { accountId: account.accountId, contact });
    for (let i = 0; i < 3; i++) {
      await stack.publishFor(account.accountId, Subjects.platform.messagesRecorded, {
        accountId: account.accountId,
        message: { messageId: `m-${i}`, channel: 'SMS', direction: 'OUTBOUND', sender: 'ACME', destination: '+33612345678', body: `Body ${i}`, status: 'SENT', sendDate: `2026-04-0${i + 1}T08:00:00Z` },
      });
    }
    const count = async (table: string) => (await stack.query(`SELECT count(*)::int AS n FROM ${table} WHERE account_id = $1`, [account.accountId]))[0].n;
    await waitUntil('platform events ingested', async () => (await count('contacts')) === 1 && (await count('messages')) === 3, 30_000);
  }, 120_000);

  afterAll(async () => {
    await prism.stop();
    await stack.stop();
  }, 60_000);

  it('creates each export type, polls it, lists, pages and regenerates without a violation', async () => {
    const created = [
      await through('POST', '/exports/contacts', { body: { listIds: [], timezone: 'Europe/Paris' } }),
      await through('POST', '/exports/delivery-reports', { body: { campaignId: 'spring', channel: 'SMS', startDateTime: '2026-04-01', endDateTime: '2026-04-30T23:59:59Z' } }),
      await through('POST', '/messages/history/export', { body: { startDateTime: '2026-04-01', endDateTime: '2026-04-30', channel: ['SMS'], timezone: 'Europe/Paris' } }),
    ];
    expect(created.map((response) => response.status)).toEqual([202, 202, 202]);
    const finals = [];
    for (const { body } of created) finals.push(await poll(body.exportId));
    expect(finals.map((response) => [response.status, response.body.status])).toEqual([
      [200, 'COMPLETED'],
      [200, 'COMPLETED'],
      [200, 'COMPLETED'],
    ]);
    expect(finals[0].body.downloadUrl).toEqual(expect.any(String));

    expect((await through('GET', '/exports')).status).toBe(200);
    expect((await through('GET', '/exports?page=1&limit=2&status=COMPLETED')).body).toMatchObject({ page: 1, limit: 2, totalItems: 3 });
    expect((await through('GET', '/exports?type=CONTACTS')).body.items).toHaveLength(1);

    const regenerated = await through('POST', `/exports/${created[0].body.exportId}`);
    expect(regenerated).toMatchObject({ status: 200, body: { status: 'COMPLETED', downloadUrl: expect.any(String) } });
    expectNoViolation();
  });

  it('pages the message history with page and with cursor without a violation', async () => {
    const range = 'channel=SMS&from=2026-04-01&to=2026-04-30';
    const first = await through('GET', `/messages/history?${range}&limit=2`);
    expect(first).toMatchObject({ status: 200, body: { hasMore: true, nextCursor: expect.any(String) } });
    expect(first.body.messages).toHaveLength(2);
    const second = await through('GET', `/messages/history?${range}&limit=2&page=1&timezone=Europe/Paris`);
    expect(second.body.messages).toHaveLength(1);
    const next = await through('GET', `/messages/history?${range}&limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(next).toMatchObject({ status: 200, body: { hasMore: false, nextCursor: null } });
    expectNoViolation();
  });

  it('answers errors the document describes: 400, 401, 404, 409 and 429, without a violation', async () => {
    // Valid for the document, refused by the gateway: an unknown time zone.
    expect((await through('POST', '/exports/contacts', { body: { timezone: 'Mars/Olympus_Mons' } })).body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    // A key is there (the document's security is met) but not a valid one.
    expect((await through('GET', '/exports', { apiKey: 'not-a-key' })).body).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect((await through('GET', `/exports/${randomUUID()}`)).body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect((await through('POST', `/exports/${randomUUID()}`)).body).toMatchObject({ status: 404, code: 'NOT_FOUND' });

    const key = randomUUID();
    const once = await through('POST', '/exports/contacts', { body: {}, headers: { 'Idempotency-Key': key } });
    const again = await through('POST', '/exports/contacts', { body: {}, headers: { 'Idempotency-Key': key } });
    expect([once.status, again.status, again.body.exportId]).toEqual([202, 200, once.body.exportId]);
    expect((await through('POST', '/exports/contacts', { body: { listIds: ['other'] }, headers: { 'Idempotency-Key': key } })).body).toMatchObject({ status: 409, code: 'IDEMPOTENCY_CONFLICT' });

    // Another key spends its budget straight on the gateway, then asks once more through the proxy.
    const { apiKey } = await stack.createAccount('prism-limited');
    for (let sent = 0; sent < RATE_LIMIT; sent += 20) await Promise.all(Array.from({ length: Math.min(20, RATE_LIMIT - sent) }, () => stack.http('GET', '/exports?limit=1', { apiKey })));
    const limited = await through('GET', '/exports', { apiKey });
    expect(limited).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED', retryAfter: expect.any(Number) } });
    expect(limited.headers.get('retry-after')).toBe(String(limited.body.retryAfter));
    expectNoViolation();
  });

  it('does report violations: a request the document forbids, and a response it does not allow (so the checks above can fail)', async () => {
    const before = seen.length;
    const refused = await through('POST', '/exports/contacts', { body: { listIds: 'vip' } });
    // Prism answers an invalid request itself, naming what is wrong, and does not forward it.
    expect(refused).toMatchObject({ status: 422, body: { validation: [expect.objectContaining({ location: ['body', 'listIds'], severity: 'Error' })] } });
    expect(seen[before].prismError).toBe(true);

    // The same gateway behind a document that wants a field GET /exports never sends.
    const strict = JSON.parse(readFileSync(DOCUMENT, 'utf8'));
    strict.components.schemas.ExportPageDto.required.push('neverSent');
    const directory = await mkdtemp(join(tmpdir(), 'prism-strict-'));
    const strictProxy = new PrismProxy(join(directory, 'openapi.json'));
    await writeFile(join(directory, 'openapi.json'), JSON.stringify(strict));
    try {
      await strictProxy.start(`${stack.baseUrl}${BASE_PATH}`);
      const response = await stack.http('GET', '/exports', { apiKey: account.apiKey, via: strictProxy.url });
      expect(response).toMatchObject({ status: 500, body: { validation: [expect.objectContaining({ location: expect.arrayContaining(['response', 'body']), message: expect.stringContaining('neverSent') })] } });
      expect(JSON.parse(response.headers.get('sl-violations') ?? '[]')).toEqual([expect.objectContaining({ message: expect.stringContaining('neverSent') })]);
    } finally {
      await strictProxy.stop();
      await rm(directory, { recursive: true, force: true });
    }
    // Not violations of the traffic the tests above check.
    seen.splice(before);
  });

  afterAll(() => {
    // The summary of what went through, for the log.
    const statuses = seen.reduce<Record<number, number>>((counts, entry) => ({ ...counts, [entry.status]: (counts[entry.status] ?? 0) + 1 }), {});
    console.info(`prism-proxy: ${seen.length} responses through the validating proxy, by status ${JSON.stringify(statuses)}`);
  });
});
