import { randomUUID } from 'node:crypto';
import { CreatedAccount } from '@exports/database';
import { eventsByExport, exportRow, holdInTransaction, insertContacts, outboxDrained, TestStack, waitingOn, waitUntil } from '@exports/testing';

/**
 * Nothing stays PENDING with nobody on it: a run whose message was lost is put back on
 * the bus by the sweeper after EXPORT_STALE_RUN_SECONDS, and a run whose attempts are used
 * up ends FAILED with TIMEOUT, each with one lifecycle event.
 */
describe('export sweeper re-drives lost runs and gives up on stuck ones (e2e)', () => {
  const ROWS = 20_000;
  const STALE = 5;
  const stack = new TestStack({
    apps: ['api-gateway', 'export-worker'],
    env: { EXPORT_STALE_RUN_SECONDS: String(STALE), EXPORT_SWEEP_INTERVAL_SECONDS: '1', EXPORT_MAX_OPEN_PER_ACCOUNT: '50' },
  });
  let account: CreatedAccount;
  let kills = 0;
  const counts = { lostRuns: 0, timeouts: 0 };

  beforeAll(async () => {
    await stack.start();
    account = await stack.createAccount('sweeper account');
    await insertContacts(stack, account.accountId, ROWS);
  });

  afterAll(async () => {
    process.stdout.write(`reliability-sweeper: ${counts.lostRuns} lost runs re-driven, ${counts.timeouts} TIMEOUT, ${kills} SIGKILLs\n`);
    await stack.stop();
  }, 60_000);

  const streamName = () => stack.namespace.stream('exports').name;

  it('re-drives an export whose outbox entry was deleted before it was ever published', async () => {
    // The state a lost outbox row leaves: the export registered PENDING, nothing on the bus.
    const exportId = randomUUID();
    await stack.query(
      `INSERT INTO exports (id, account_id, type, status, filters, timezone, created_at, updated_at) VALUES ($1, $2, 'CONTACTS', 'PENDING', '{}', 'UTC', now(), now())`,
      [exportId, account.accountId],
    );
    counts.lostRuns += 1;
    const done = await stack.waitForExport(account.apiKey, exportId, 60_000);
    expect(done).toMatchObject({ status: 'COMPLETED', rowCount: ROWS });
    expect(await exportRow(stack, exportId)).toMatchObject({ attempts: 1, run: 1 });
    expect(stack.logsOf('export-worker').some((l) => l.includes('"message":"Sweep"') && l.includes('"staleRedriven":1'))).toBe(true);
  });

  it('re-drives an export whose run message was purged from the stream', async () => {
    // The worker's relay may still hold its claim on the last export's completed event: killed
    // then, the entry would wait out its claim (60 s) before anyone published it again.
    await outboxDrained(stack);
    const [worker] = stack.instances('export-worker');
    await stack.killInstance(worker, 'SIGKILL');
    kills += 1;
    const created = await stack.http('POST', '/exports/contacts', { apiKey: account.apiKey, body: {} });
    expect(created.status).toBe(202);
    const exportId = created.body.exportId;
    // Published by the gateway's relay, then lost.
    await outboxDrained(stack);
    const jsm = await (await stack.natsConnection()).jetstreamManager();
    expect((await jsm.streams.info(streamName())).state.messages).toBeGreaterThan(0);
    await jsm.streams.purge(streamName());
    expect((await jsm.streams.info(streamName())).state.messages).toBe(0);
    counts.lostRuns += 1;

    await stack.startApp('export-worker');
    const done = await stack.waitForExport(account.apiKey, exportId, 60_000);
    expect(done).toMatchObject({ status: 'COMPLETED', rowCount: ROWS });
    expect(await exportRow(stack, exportId)).toMatchObject({ attempts: 1, run: 1 });
  });

  it('fails a run whose attempts are used up with TIMEOUT, each attempt having died without a word', async () => {
    const lock = await holdInTransaction(stack, 'LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE');
    let exportId = '';
    try {
      const created = await stack.http('POST', '/exports/contacts', { apiKey: account.apiKey, body: {} });
      exportId = created.body.exportId;
      // Three attempts, each killed while it waits for its first row.
      for (let attempt = 1; attempt <= 3; attempt++) {
        await waitUntil(`attempt ${attempt} started`, async () => (await exportRow(stack, exportId)).attempts === attempt, 60_000, 50);
        await waitUntil('COPY blocked', async () => (await waitingOn(stack, lock.pid)).some((b) => b.query.startsWith('COPY')));
        await stack.killInstance(stack.instances('export-worker')[0], 'SIGKILL');
        kills += 1;
        if (attempt < 3) await stack.startApp('export-worker');
      }
    } finally {
      await lock.release();
    }
    await stack.startApp('export-worker');
    const failed = await stack.waitForExport(account.apiKey, exportId, 60_000);
    counts.timeouts += 1;
    expect(failed).toMatchObject({ status: 'FAILED', error: { code: 'TIMEOUT', message: expect.stringContaining('3 time(s)') } });
    const read = await stack.http('GET', `/exports/${exportId}`, { apiKey: account.apiKey });
    expect(read).toMatchObject({ status: 200, body: { exportId, status: 'FAILED', isAvailableForDownload: false, error: { code: 'TIMEOUT' } } });
    expect(read.body.downloadUrl).toBeUndefined();
    expect(await stack.storage.listKeys(`${account.accountId}/${exportId}/`)).toEqual([]);
  });

  it('fails a stale PENDING export with its attempts used up and no run anywhere (sweeper)', async () => {
    const exportId = randomUUID();
    await stack.query(
      `INSERT INTO exports (id, account_id, type, status, filters, timezone, attempts, heartbeat_at, created_at, updated_at)
       VALUES ($1, $2, 'CONTACTS', 'PENDING', '{}', 'UTC', 3, now() - interval '1 minute', now() - interval '1 minute', now() - interval '1 minute')`,
      [exportId, account.accountId],
    );
    const failed = await stack.waitForExport(account.apiKey, exportId, 60_000);
    counts.timeouts += 1;
    expect(failed).toMatchObject({ status: 'FAILED', error: { code: 'TIMEOUT' } });
  });

  it('publishes one event per outcome, the export resource', async () => {
    await outboxDrained(stack);
    const events = await eventsByExport(stack);
    const rows = await stack.query<{ id: string; status: string }>(`SELECT id, status FROM exports`);
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      const own = events.get(row.id) ?? [];
      expect(own.map((e) => e.subject)).toEqual([row.status === 'COMPLETED' ? 'exports.events.completed' : 'exports.events.failed']);
      expect(own[0].data).toMatchObject({ exportId: row.id, status: row.status });
    }
  });
});
