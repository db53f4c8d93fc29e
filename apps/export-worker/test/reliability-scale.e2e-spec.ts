import { ChildProcess } from 'node:child_process';
import { CreatedAccount } from '@exports/database';
import { download, eventsByExport, insertContacts, insertMessages, outboxDrained, TestStack, waitUntil } from '@exports/testing';

/**
 * Two export-workers and two history-services share the durable consumers under a burst of
 * exports of every type: each export is produced once. One instance of each is SIGKILLed
 * mid-burst; the other finishes its work.
 */
describe('two instances of each worker app under a burst (e2e)', () => {
  const CONTACTS = 150_000;
  const MESSAGES = 100_000;
  const PER_TYPE = 12;
  const stack = new TestStack({
    apps: ['api-gateway'],
    // One account's burst measures the instances' throughput: its share is not the subject here.
    env: { EXPORT_MAX_OPEN_PER_ACCOUNT: '1000', EXPORT_ACCOUNT_CONCURRENCY: '32', EXPORT_CONCURRENCY: '2', RATE_LIMIT_REQUESTS: '100000' },
  });
  let account: CreatedAccount;
  const created = new Map<string, string>();
  let kills = 0;
  let rerunAfterKill = 0;
  let unlogged = 0;

  const requests: Record<string, { path: string; body: object; rows: number }> = {
    CONTACTS: { path: '/exports/contacts', body: {}, rows: CONTACTS },
    DELIVERY_REPORTS: { path: '/exports/delivery-reports', body: { campaignId: 'burst' }, rows: MESSAGES },
    MESSAGE_HISTORY: { path: '/messages/history/export', body: { startDateTime: '2026-01-09T00:00:00Z', endDateTime: '2026-01-12T00:00:00Z' }, rows: MESSAGES },
  };

  beforeAll(async () => {
    await stack.start();
    for (let i = 0; i < 2; i++) {
      await stack.startApp('export-worker');
      await stack.startApp('history-service');
    }
    account = await stack.createAccount('burst account');
    await insertContacts(stack, account.accountId, CONTACTS);
    await insertMessages(stack, account.accountId, MESSAGES);
  });

  afterAll(async () => {
    process.stdout.write(`reliability-scale: ${created.size} exports, ${kills} SIGKILLs, ${rerunAfterKill} exports finished by the surviving instance after a kill, ${unlogged} completions whose log line died with their instance\n`);
    await stack.stop();
  }, 60_000);

  const linesAbout = (lines: string[], message: string, exportId: string) => lines.filter((l) => l.includes(`"message":"${message}"`) && l.includes(exportId));

  it('produces each export once while one instance of each app is killed mid-burst', async () => {
    const [workerA] = stack.instances('export-worker');
    const [historyA] = stack.instances('history-service');
    // The instances that will die, and what they had finished before.
    const victims: ChildProcess[] = [workerA, historyA];

    for (let i = 0; i < PER_TYPE; i++) {
      for (const [type, request] of Object.entries(requests)) {
        const response = await stack.http('POST', request.path, { apiKey: account.apiKey, body: request.body });
        expect(response.status).toBe(202);
        created.set(response.body.exportId, type);
      }
    }
    // Kill once each victim has finished at least one export and the burst is far from done.
    const finishedBy = (child: ChildProcess) => stack.logsOfInstance(child).filter((l) => l.includes('"message":"Export completed"')).length;
    await waitUntil('both victims have produced an export', () => victims.every((v) => finishedBy(v) > 0), 120_000, 20);
    const pending = (await stack.query(`SELECT count(*)::int AS n FROM exports WHERE status = 'PENDING'`))[0].n;
    expect(pending).toBeGreaterThan(0);
    for (const victim of victims) {
      expect((await stack.killInstance(victim, 'SIGKILL')).signal).toBe('SIGKILL');
      kills += 1;
    }

    for (const [exportId, type] of created) {
      const done = await stack.waitForExport(account.apiKey, exportId, 150_000);
      expect(done).toMatchObject({ status: 'COMPLETED', type, rowCount: requests[type].rows });
    }

    const all = [...stack.logsOf('export-worker'), ...stack.logsOf('history-service')];
    for (const exportId of created.keys()) {
      // At most one line: a victim SIGKILLed between committing a completion and writing its
      // log line leaves none (that export's single event and object are checked below).
      const lines = linesAbout(all, 'Export completed', exportId);
      expect(lines.length).toBeLessThanOrEqual(1);
      if (lines.length === 0) unlogged += 1;
      expect(linesAbout(all, 'Export was finished by another run; this run changed nothing', exportId)).toEqual([]);
    }
    // Only the two victims can have lost lines, for the runs they had in flight.
    expect(unlogged).toBeLessThanOrEqual(victims.length * Number(stack.env.EXPORT_CONCURRENCY));
    // Work was shared: every instance that lived finished exports too.
    for (const app of ['export-worker', 'history-service'] as const) {
      for (const survivor of stack.instances(app)) expect(finishedBy(survivor)).toBeGreaterThan(0);
    }
    // A run is counted again only when its instance died under it; that is at most one export per consumer loop.
    const attempts = await stack.query<{ attempts: number }>(`SELECT attempts FROM exports`);
    expect(attempts.filter((a) => a.attempts === 1).length).toBeGreaterThanOrEqual(created.size - 2 * 2 * 2);
    expect(attempts.every((a) => a.attempts <= 2)).toBe(true);
    rerunAfterKill = attempts.filter((a) => a.attempts === 2).length;
  });

  it('one completion event, one object and a matching file per export', async () => {
    await outboxDrained(stack);
    const events = await eventsByExport(stack);
    expect(new Set(events.keys())).toEqual(new Set(created.keys()));
    for (const exportId of created.keys()) expect(events.get(exportId)!.map((e) => e.subject)).toEqual(['exports.events.completed']);
    const keys = await stack.storage.listKeys('');
    expect(keys).toHaveLength(created.size);
    for (const exportId of created.keys()) expect(keys.filter((k) => k.includes(exportId))).toHaveLength(1);
    // One file of each type, downloaded and checked.
    for (const type of Object.keys(requests)) {
      const exportId = [...created].find(([, t]) => t === type)![0];
      const link = await stack.http('GET', `/exports/${exportId}`, { apiKey: account.apiKey });
      expect(await download(link.body.downloadUrl)).toMatchObject({ status: 200, sha256: link.body.sha256, sizeBytes: link.body.sizeBytes, lines: requests[type].rows + 1 });
    }
  });
});
