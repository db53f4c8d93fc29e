import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { accountSubject, Subjects } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { HttpResult, reservedRangePort, TestStack, waitUntil } from '@exports/testing';

/**
 * The download audit over the real gateway, worker, PostgreSQL, NATS and S3 server:
 * GET /exports/{exportId}/download records who downloaded what and redirects to a fresh link,
 * GET /exports/{exportId}/downloads lists the records, the export resource counts them, and the
 * records live exactly as long as their export (file retention keeps them, record retention and
 * the admin CLI's account purge remove them).
 */
describe('export download audit (e2e)', () => {
  const ADMIN = resolve(__dirname, '../../../dist/tools/admin/main.js');
  const stack = new TestStack({ apps: ['api-gateway', 'export-worker'], env: { EXPORT_SWEEP_INTERVAL_SECONDS: '1' } });
  const CONTACTS = 5;
  let a: CreatedAccount;
  let b: CreatedAccount;
  let keyA: string;
  /** A second gateway that believes one proxy in front of it (TRUST_PROXY=1). */
  let behindProxy: string;
  let nats: ClientProxy;

  beforeAll(async () => {
    if (!existsSync(ADMIN)) throw new Error(`${ADMIN} is missing: run "npm run build" first`);
    await stack.start();
    const port = await reservedRangePort();
    await stack.startApp('api-gateway', { PORT: String(port), TRUST_PROXY: '1' });
    behindProxy = `http://127.0.0.1:${port}`;
    a = await stack.createAccount('downloads A');
    b = await stack.createAccount('downloads B');
    keyA = await keyIdOf(a.accountId);
    for (let n = 1; n <= CONTACTS; n++) {
      const id = `c-${n}`;
      await stack.publishFor(a.accountId, Subjects.platform.contactsUpserted, {
        accountId: a.accountId,
        contact: { id, email: `${id}@example.com`, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' },
      });
    }
    await waitUntil('contacts stored', async () => (await stack.query(`SELECT count(*)::int AS n FROM contacts WHERE account_id = $1`, [a.accountId]))[0].n === CONTACTS);
    nats = ClientProxyFactory.create({ transport: Transport.NATS, options: stack.natsOptions() });
    await nats.connect();
  }, 120_000);

  afterAll(async () => {
    await nats?.close();
    await stack.stop();
  }, 60_000);

  async function keyIdOf(accountId: string): Promise<string> {
    return (await stack.query(`SELECT id FROM api_keys WHERE account_id = $1`, [accountId]))[0].id;
  }

  async function completedExport(account: CreatedAccount, body: Record<string, unknown> = {}): Promise<any> {
    const created = await stack.http('POST', '/exports/contacts', { apiKey: account.apiKey, body });
    expect(created.status).toBe(202);
    const done = await stack.waitForExport(account.apiKey, created.body.exportId);
    expect(done.status).toBe('COMPLETED');
    return done;
  }

  /** GET …/download as it is answered: the redirect is not followed. */
  const download = (apiKey: string, exportId: string, query = '', options: { headers?: Record<string, string>; baseUrl?: string } = {}): Promise<HttpResult> =>
    stack.http('GET', `/exports/${exportId}/download${query}`, { apiKey, redirect: 'manual', ...options });

  const downloads = (apiKey: string, exportId: string, query = ''): Promise<HttpResult> => stack.http('GET', `/exports/${exportId}/downloads${query}`, { apiKey });

  async function sha256Of(url: string): Promise<{ sha256: string; disposition: string | null }> {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    return { sha256: createHash('sha256').update(bytes).digest('hex'), disposition: response.headers.get('content-disposition') };
  }

  /** `exports.downloads` for the account, on its own subject. */
  const downloadsOverNats = (account: CreatedAccount, exportId: string): Promise<unknown> =>
    firstValueFrom(nats.send(stack.namespace.subject(accountSubject(Subjects.requests.exportsDownloads, account.accountId)), { accountId: account.accountId, exportId }));
  const recordsOf = async (exportId: string): Promise<number> => (await stack.query(`SELECT count(*)::int AS n FROM export_downloads WHERE export_id = $1`, [exportId]))[0].n;

  it('302 to a fresh link of the file, recorded with the key, address and user agent, and counted on the resource (HTTP and NATS)', async () => {
    const done = await completedExport(a);
    expect(done).toMatchObject({ downloadCount: 0, lastDownloadedAt: null });
    expect((await downloads(a.apiKey, done.exportId)).body).toEqual({ items: [], page: 0, limit: 20, totalItems: 0 });

    const answer = await download(a.apiKey, done.exportId, '', { headers: { 'User-Agent': 'audit-test/1.0' } });
    expect(answer.status).toBe(302);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    // Authenticated and rate-limited like every route.
    expect(Number(answer.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);
    const location = answer.headers.get('location')!;
    expect(location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.+X-Amz-Signature=/);
    const file = await sha256Of(location);
    expect(file.sha256).toBe(done.sha256);
    expect(file.disposition).toContain(done.fileName);

    const listed = await downloads(a.apiKey, done.exportId);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      items: [{ id: expect.stringMatching(/^[0-9a-f-]{36}$/), downloadedAt: expect.any(String), apiKeyId: keyA, part: 1, clientIp: '127.0.0.1', userAgent: 'audit-test/1.0' }],
      page: 0,
      limit: 20,
      totalItems: 1,
    });
    const [record] = listed.body.items;
    expect(Math.abs(Date.parse(record.downloadedAt) - Date.now())).toBeLessThan(60_000);
    // The same records over NATS.
    expect(await downloadsOverNats(a, done.exportId)).toEqual(listed.body);

    const resource = await stack.findExport(a.apiKey, done.exportId);
    expect(resource).toMatchObject({ downloadCount: 1, lastDownloadedAt: record.downloadedAt });
    const detail = await stack.http('GET', `/exports/${done.exportId}`, { apiKey: a.apiKey });
    expect(detail.body).toMatchObject({ downloadCount: 1, lastDownloadedAt: record.downloadedAt });
    const overNats = await firstValueFrom(nats.send(stack.namespace.subject(accountSubject(Subjects.requests.exportsGet, a.accountId)), { accountId: a.accountId, exportId: done.exportId }));
    expect(overNats).toMatchObject({ downloadCount: 1, lastDownloadedAt: record.downloadedAt });

    // The links of GET /exports/{exportId} are not audited: fetching one records nothing.
    expect((await sha256Of(detail.body.downloadUrl)).sha256).toBe(done.sha256);
    expect(await recordsOf(done.exportId)).toBe(1);
    expect((await stack.findExport(a.apiKey, done.exportId)).downloadCount).toBe(1);

    // The link ends when the export's link ends, as the links of GET /exports/{exportId} do.
    const expires = Number(new URL(location).searchParams.get('X-Amz-Expires'));
    const signedAt = new URL(location).searchParams.get('X-Amz-Date')!.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z');
    expect(Date.parse(signedAt) + expires * 1000).toBeLessThanOrEqual(Date.parse(done.linkExpiresAt));
    expect(Date.parse(signedAt) + expires * 1000).toBeGreaterThan(Date.parse(done.linkExpiresAt) - 2000);

    // The audit never holds the link, nor any part of its signature.
    const stored = await stack.query(`SELECT row_to_json(d)::text AS row FROM export_downloads d WHERE export_id = $1`, [done.exportId]);
    expect(stored[0].row).not.toMatch(/X-Amz|http|Signature/i);
  });

  it('Accept: application/json answers the link as JSON instead of a redirect, recorded alike; HEAD as GET', async () => {
    const done = await completedExport(a, { contactIds: ['c-1'] });
    const answer = await stack.http('GET', `/exports/${done.exportId}/download`, { apiKey: a.apiKey, headers: { Accept: 'application/json' } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toEqual({
      part: 1,
      fileName: done.fileName,
      rowCount: 1,
      sizeBytes: done.sizeBytes,
      sha256: done.sha256,
      downloadUrl: expect.stringContaining('X-Amz-Signature='),
      expiresAt: expect.any(String),
    });
    expect(Date.parse(answer.body.expiresAt)).toBeLessThanOrEqual(Date.parse(done.linkExpiresAt));
    expect((await sha256Of(answer.body.downloadUrl)).sha256).toBe(done.sha256);
    expect((await downloads(a.apiKey, done.exportId)).body.totalItems).toBe(1);

    // A HEAD hands out the link as well: answered and recorded as the GET.
    const head = await stack.http('HEAD', `/exports/${done.exportId}/download`, { apiKey: a.apiKey, redirect: 'manual' });
    expect(head.status).toBe(302);
    expect(head.headers.get('location')).toContain('X-Amz-Signature=');
    expect((await downloads(a.apiKey, done.exportId)).body.totalItems).toBe(2);
  });

  it('keeps the user agent without control characters and bounded, and reads the client address as TRUST_PROXY says', async () => {
    const done = await completedExport(a, { contactIds: ['c-2'] });
    // TRUST_PROXY=0: X-Forwarded-For is not believed, the TCP peer is the client.
    // What HTTP lets through of control characters: tab, and C1 ones (0x80-0x9f) such as CSI.
    await download(a.apiKey, done.exportId, '', { headers: { 'User-Agent': 'evil\tagent\x85 1.0\x9b31m', 'X-Forwarded-For': '198.51.100.23' } });
    await download(a.apiKey, done.exportId, '', { headers: { 'User-Agent': `long-${'x'.repeat(2000)}` } });
    // TRUST_PROXY=1: the address the one trusted proxy saw.
    const proxied = await download(a.apiKey, done.exportId, '', { baseUrl: behindProxy, headers: { 'User-Agent': 'via-proxy', 'X-Forwarded-For': '198.51.100.23' } });
    expect(proxied.status).toBe(302);
    const { items } = (await downloads(a.apiKey, done.exportId)).body;
    expect(items.map((item: any) => [item.clientIp, item.userAgent.slice(0, 20), item.userAgent.length])).toEqual([
      ['198.51.100.23', 'via-proxy', 9],
      ['127.0.0.1', `long-${'x'.repeat(15)}`, 512],
      ['127.0.0.1', 'evilagent 1.031m', 16],
    ]);
  });

  it('a split export: part picks the file, each part recorded; no part, or one it does not have, is a 400 naming part that records nothing', async () => {
    const done = await completedExport(a, { maxRowsPerFile: 2 });
    expect(done.files.map((file: any) => file.part)).toEqual([1, 2, 3]);

    for (const query of ['', '?part=4', '?part=0', '?part=-1', '?part=1.5', '?part=abc', '?part=1e2', '?part=']) {
      const refused = await download(a.apiKey, done.exportId, query);
      expect([query, refused.status, refused.body.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
      expect(refused.body.details.map((detail: { field: string }) => detail.field)).toEqual(['part']);
    }
    expect((await download(a.apiKey, done.exportId, '')).body.details[0].message).toBe('part is required: this export has 3 files (part 1 to 3)');
    expect((await download(a.apiKey, done.exportId, '?part=4')).body.details[0].message).toBe('part must be from 1 to 3: this export has 3 files');
    expect((await download(a.apiKey, done.exportId, '?unknown=1')).body).toMatchObject({ status: 400, details: [{ field: 'unknown', message: 'unknown is not a known field' }] });
    expect(await recordsOf(done.exportId)).toBe(0);

    for (const file of done.files) {
      const answer = await download(a.apiKey, done.exportId, `?part=${file.part}`);
      expect(answer.status).toBe(302);
      const fetched = await sha256Of(answer.headers.get('location')!);
      expect(fetched.sha256).toBe(file.sha256);
      expect(fetched.disposition).toContain(file.fileName);
    }
    const listed = (await downloads(a.apiKey, done.exportId)).body;
    expect(listed.items.map((item: any) => item.part)).toEqual([3, 2, 1]);
    expect((await stack.findExport(a.apiKey, done.exportId)).downloadCount).toBe(3);

    // A single-file export takes part=1, and no part.
    const single = await completedExport(a, { contactIds: ['c-3'] });
    expect((await download(a.apiKey, single.exportId, '?part=1')).status).toBe(302);
    expect((await download(a.apiKey, single.exportId, '?part=2')).body).toMatchObject({ status: 400, details: [{ field: 'part', message: 'part must be from 1 to 1: this export has 1 file' }] });
  });

  it('PENDING and FAILED answer EXPORT_NOT_READY, an expired link LINK_EXPIRED, as the rest of the API; nothing is recorded', async () => {
    const pending = randomUUID();
    const failed = randomUUID();
    await stack.query(
      `INSERT INTO exports (id, account_id, type, status, filters, created_at, updated_at, error_code, error_message)
       VALUES ($1, $3, 'CONTACTS', 'PENDING', '{}', now(), now(), NULL, NULL), ($2, $3, 'CONTACTS', 'FAILED', '{}', now(), now(), 'INTERNAL', 'failed')`,
      [pending, failed, a.accountId],
    );
    expect((await download(a.apiKey, pending)).body).toEqual({
      status: 409,
      error: 'Conflict',
      code: 'EXPORT_NOT_READY',
      message: 'The export is still being produced; poll GET /exports/{exportId} until it is COMPLETED',
      exportStatus: 'PENDING',
    });
    expect((await download(a.apiKey, failed, '?part=1')).body).toMatchObject({ status: 409, code: 'EXPORT_NOT_READY', exportStatus: 'FAILED' });
    expect((await downloads(a.apiKey, pending)).body).toMatchObject({ items: [], totalItems: 0 });

    const done = await completedExport(a, { contactIds: ['c-4'] });
    await stack.query(`UPDATE exports SET link_expires_at = now() - interval '1 second' WHERE id = $1`, [done.exportId]);
    const expired = await download(a.apiKey, done.exportId);
    expect(expired.status).toBe(400);
    expect(expired.body).toEqual({
      status: 400,
      error: 'Bad Request',
      code: 'LINK_EXPIRED',
      message: 'The download link has expired; regenerate it with POST /exports/{exportId}',
      exportStatus: 'EXPIRED',
    });
    expect(await recordsOf(done.exportId)).toBe(0);
    expect(await recordsOf(pending)).toBe(0);
    expect(await recordsOf(failed)).toBe(0);

    // Regenerated, it downloads again.
    expect((await stack.http('POST', `/exports/${done.exportId}`, { apiKey: a.apiKey })).status).toBe(200);
    const renewed = await download(a.apiKey, done.exportId);
    expect(renewed.status).toBe(302);
    expect((await sha256Of(renewed.headers.get('location')!)).sha256).toBe(done.sha256);
    expect((await stack.findExport(a.apiKey, done.exportId)).downloadCount).toBe(1);
  });

  it('another account, an unknown id or one that is not a UUID: 404, for the download and the list, and nothing recorded', async () => {
    const done = await completedExport(a, { contactIds: ['c-5'] });
    const notFound = { status: 404, error: 'Not Found', code: 'NOT_FOUND', message: `Export ${done.exportId} was not found` };
    expect(await download(b.apiKey, done.exportId)).toMatchObject({ status: 404, body: notFound });
    expect(await downloads(b.apiKey, done.exportId)).toMatchObject({ status: 404, body: notFound });
    expect((await download(a.apiKey, randomUUID())).status).toBe(404);
    expect((await downloads(a.apiKey, randomUUID())).status).toBe(404);
    expect((await download(a.apiKey, 'not-a-uuid')).body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect((await downloads(a.apiKey, 'not-a-uuid')).body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect((await stack.http('GET', `/exports/${done.exportId}/download`, { redirect: 'manual' })).status).toBe(401);
    expect((await stack.http('GET', `/exports/${done.exportId}/downloads`, {})).status).toBe(401);
    expect(await recordsOf(done.exportId)).toBe(0);
    // Over NATS, another account's subject does not reach the export either.
    await expect(downloadsOverNats(b, done.exportId)).rejects.toEqual(notFound);
    // The routes answer under the platform base path too.
    expect((await stack.http('GET', `/api/partner-gateway/v1/exports/${done.exportId}/download`, { apiKey: a.apiKey, redirect: 'manual' })).status).toBe(302);
    expect((await stack.http('GET', `/api/partner-gateway/v1/exports/${done.exportId}/downloads`, { apiKey: a.apiKey })).body.totalItems).toBe(1);
  });

  it('lists the records newest first, paged as GET /exports is', async () => {
    const done = await completedExport(a, { contactIds: ['c-1', 'c-2'] });
    for (let n = 1; n <= 5; n++) expect((await download(a.apiKey, done.exportId, '', { headers: { 'User-Agent': `client-${n}` } })).status).toBe(302);

    const all = (await downloads(a.apiKey, done.exportId, '?limit=100')).body;
    expect(all.totalItems).toBe(5);
    expect(all.items.map((item: any) => item.userAgent)).toEqual(['client-5', 'client-4', 'client-3', 'client-2', 'client-1']);
    const times = all.items.map((item: any) => item.downloadedAt);
    expect([...times].sort().reverse()).toEqual(times);

    const pages = [];
    for (let page = 0; page < 3; page++) {
      const answer = (await downloads(a.apiKey, done.exportId, `?page=${page}&limit=2`)).body;
      expect(answer).toMatchObject({ page, limit: 2, totalItems: 5 });
      pages.push(...answer.items);
    }
    expect(pages).toEqual(all.items);
    expect((await downloads(a.apiKey, done.exportId, '?page=3&limit=2')).body.items).toEqual([]);
    expect((await stack.findExport(a.apiKey, done.exportId))).toMatchObject({ downloadCount: 5, lastDownloadedAt: all.items[0].downloadedAt });

    for (const [query, field] of [['?limit=0', 'limit'], ['?limit=101', 'limit'], ['?page=-1', 'page'], ['?page=1e2', 'page'], ['?cursor=x', 'cursor']]) {
      const refused = await downloads(a.apiKey, done.exportId, query);
      expect([query, refused.status, refused.body.details.map((detail: { field: string }) => detail.field)]).toEqual([query, 400, [field]]);
    }
  });

  it('keeps the records when retention removes the file, and removes them with the export', async () => {
    const done = await completedExport(a, { contactIds: ['c-3', 'c-4'] });
    expect((await download(a.apiKey, done.exportId)).status).toBe(302);
    expect((await download(a.apiKey, done.exportId)).status).toBe(302);

    // The file's retention ends: the sweeper removes the file, never the audit.
    await stack.query(`UPDATE exports SET link_expires_at = now() - interval '2 seconds', file_expires_at = now() - interval '1 second' WHERE id = $1`, [done.exportId]);
    await waitUntil('file purged by the sweeper', async () => (await stack.query(`SELECT file_purged_at FROM exports WHERE id = $1`, [done.exportId]))[0].file_purged_at !== null);
    expect((await download(a.apiKey, done.exportId)).body).toMatchObject({ status: 400, code: 'LINK_EXPIRED' });
    expect((await downloads(a.apiKey, done.exportId)).body.totalItems).toBe(2);
    expect(await stack.findExport(a.apiKey, done.exportId)).toMatchObject({ status: 'EXPIRED', downloadCount: 2 });

    // Record retention removes the export: its records go with it.
    await stack.query(`UPDATE exports SET completed_at = now() - interval '100 days', updated_at = now() - interval '100 days' WHERE id = $1`, [done.exportId]);
    await waitUntil('export removed by record retention', async () => (await stack.query(`SELECT 1 FROM exports WHERE id = $1`, [done.exportId])).length === 0);
    expect(await recordsOf(done.exportId)).toBe(0);
    expect((await downloads(a.apiKey, done.exportId)).status).toBe(404);
  });

  it("the admin CLI's account purge removes the account's records, and only those", async () => {
    const leaving = await stack.createAccount('downloads leaving');
    await stack.publishFor(leaving.accountId, Subjects.platform.contactsUpserted, {
      accountId: leaving.accountId,
      contact: { id: 'l-1', email: 'l-1@example.com', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' },
    });
    await waitUntil('contact stored', async () => (await stack.query(`SELECT 1 FROM contacts WHERE account_id = $1`, [leaving.accountId])).length === 1);
    const done = await completedExport(leaving);
    expect((await download(leaving.apiKey, done.exportId)).status).toBe(302);
    expect((await download(leaving.apiKey, done.exportId)).status).toBe(302);
    const accountRecords = async (accountId: string) => (await stack.query(`SELECT count(*)::int AS n FROM export_downloads WHERE account_id = $1`, [accountId]))[0].n;
    expect(await accountRecords(leaving.accountId)).toBe(2);
    const kept = await accountRecords(a.accountId);
    expect(kept).toBeGreaterThan(0);

    const printed = await admin('account:purge', '--account', leaving.accountId);
    expect(printed).toMatchObject({ accountId: leaving.accountId, exports: 1, downloads: 2 });
    expect(await accountRecords(leaving.accountId)).toBe(0);
    expect(await accountRecords(a.accountId)).toBe(kept);
  });

  function admin(...args: string[]): Promise<any> {
    const env = { ...stack.env, PATH: process.env.PATH ?? '', NATS_NKEY_SEED_FILE: stack.nkeySeedFile('admin') };
    return new Promise((done, fail) => {
      execFile(process.execPath, [ADMIN, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
        if (error) fail(new Error(`admin ${args.join(' ')} failed: ${stderr}`));
        else done(JSON.parse(stdout.trim().split('\n')[0]));
      });
    });
  }
});
