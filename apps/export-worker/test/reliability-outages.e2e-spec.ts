import { CreatedAccount } from '@exports/database';
import {
  download,
  eventsByExport,
  exportRow,
  insertContacts,
  outboxDrained,
  sleep,
  TcpProxy,
  TestStack,
  waitUntil,
} from '@exports/testing';

/**
 * The stack's NATS server stopped under the apps and started again; PostgreSQL cut off from
 * the apps (every connection reset and refused, through a proxy the test holds) and given
 * back. The machine's PostgreSQL, shared with other test runs, is never touched.
 */
describe('NATS and PostgreSQL outages (e2e)', () => {
  const BIG = 300_000;
  const SMALL = 2_000;
  const stack = new TestStack({ apps: [], env: { EXPORT_MAX_OPEN_PER_ACCOUNT: '1000', RATE_LIMIT_REQUESTS: '100000' } });
  let database: TcpProxy;
  let big: CreatedAccount;
  let small: CreatedAccount;
  const figures = { natsRestarts: 0, pgRestarts: 0, accepted: 0, completed: 0, failed: 0 };

  beforeAll(async () => {
    const direct = new URL(stack.databaseUrl);
    database = await new TcpProxy(direct.hostname, Number(direct.port)).start();
    await stack.start();
    const proxied = new URL(stack.databaseUrl);
    proxied.port = String(database.port);
    // The stack created and migrated the database directly; the apps reach it only through the proxy.
    await Promise.all((['api-gateway', 'export-worker'] as const).map((app) => stack.startApp(app, { DATABASE_URL: proxied.toString() })));
    big = await stack.createAccount('big');
    small = await stack.createAccount('small');
    await insertContacts(stack, big.accountId, BIG);
    await insertContacts(stack, small.accountId, SMALL);
  });

  afterAll(async () => {
    await database?.stop();
    process.stdout.write(`reliability-outages: ${JSON.stringify(figures)}\n`);
    await stack.stop();
  }, 90_000);

  async function expectExactFile(apiKey: string, exportId: string, rows: number): Promise<void> {
    const done = await stack.waitForExport(apiKey, exportId, 120_000);
    expect(done).toMatchObject({ status: 'COMPLETED', rowCount: rows });
    const link = await stack.http('GET', `/exports/${exportId}`, { apiKey });
    const file = await download(link.body.downloadUrl);
    expect(file).toMatchObject({ status: 200, sha256: done.sha256, sizeBytes: done.sizeBytes, lines: rows + 1 });
  }

  it('NATS stopped during a burst of export requests: every accepted export ends COMPLETED, once', async () => {
    const request = async (i: number) => {
      const response = await stack.http('POST', '/exports/contacts', { apiKey: small.apiKey, body: i % 2 ? {} : { listIds: [`list-${i % 10}`] } });
      expect(response.status).toBe(202);
      return response.body.exportId as string;
    };
    const ids: string[] = [];
    ids.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => request(i)))));
    await stack.stopNats();
    figures.natsRestarts += 1;
    try {
      // Accepted while the bus is down: the runs wait in the outbox.
      ids.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => request(10 + i)))));
      await waitUntil('runs waiting in the outbox', async () => (await stack.query(`SELECT count(*)::int AS n FROM outbox WHERE kind = 'run'`))[0].n > 0);
      await sleep(2000);
    } finally {
      await stack.startNats();
    }
    ids.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => request(30 + i)))));
    figures.accepted += ids.length;
    expect(new Set(ids).size).toBe(40);

    for (const id of ids) {
      const done = await stack.waitForExport(small.apiKey, id, 120_000);
      expect(done.status).toBe('COMPLETED');
      figures.completed += 1;
    }
    await expectExactFile(small.apiKey, ids[1], SMALL);
    await expectExactFile(small.apiKey, ids[15], SMALL);
    await outboxDrained(stack);
    const events = await eventsByExport(stack);
    for (const id of ids) expect((events.get(id) ?? []).map((e) => e.subject)).toEqual(['exports.events.completed']);
    const attempts = await stack.query<{ attempts: number }>(`SELECT attempts FROM exports WHERE id = ANY($1)`, [ids]);
    expect(attempts.every((r) => r.attempts === 1)).toBe(true);
  });

  it('PostgreSQL gone during an export: it completes, or FAILS with SOURCE_UNAVAILABLE after its retries; never stuck', async () => {
    const created = await stack.http('POST', '/exports/contacts', { apiKey: big.apiKey, body: {} });
    expect(created.status).toBe(202);
    const exportId = created.body.exportId;
    figures.accepted += 1;
    await waitUntil('rows flowing', async () => (await exportRow(stack, exportId)).rows_exported > 0, 60_000, 20);
    database.cut();
    figures.pgRestarts += 1;
    await sleep(3000);
    database.restore();
    const done = await stack.waitForExport(big.apiKey, exportId, 150_000);
    if (done.status === 'FAILED') {
      figures.failed += 1;
      expect(done.error).toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
      expect((await exportRow(stack, exportId)).attempts).toBe(3);
    } else {
      figures.completed += 1;
      await expectExactFile(big.apiKey, exportId, BIG);
      expect((await exportRow(stack, exportId)).attempts).toBeGreaterThanOrEqual(2);
    }
    expect(stack.logsOf('export-worker').some((l) => l.includes('Export attempt failed') && l.includes(exportId) && l.includes('SOURCE_UNAVAILABLE'))).toBe(true);
    await outboxDrained(stack);
    const events = await eventsByExport(stack);
    expect((events.get(exportId) ?? []).map((e) => e.subject)).toEqual([done.status === 'COMPLETED' ? 'exports.events.completed' : 'exports.events.failed']);
  });
});
