import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { WebhookEventType } from '@exports/contracts';
import { AccountsRepository } from './accounts.repository';
import { openDatabase } from './data-source';
import { scratchDatabase } from './testing/scratch-database';
import { WebhookDeliveriesRepository, WebhookEvent } from './webhook-deliveries.repository';
import { WebhooksRepository } from './webhooks.repository';

/** Webhook endpoints and deliveries against the real PostgreSQL: the cap under concurrency, fan-out once per endpoint and event, attempts and disabling. */
describe('WebhooksRepository and WebhookDeliveriesRepository (PostgreSQL)', () => {
  const database = scratchDatabase('webhooks');
  let dataSource: DataSource;
  let webhooks: WebhooksRepository;
  let deliveries: WebhookDeliveriesRepository;
  let accounts: AccountsRepository;

  beforeAll(async () => {
    dataSource = await openDatabase(database.url, 10);
    webhooks = new WebhooksRepository(dataSource);
    deliveries = new WebhookDeliveriesRepository(dataSource);
    accounts = new AccountsRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database.drop();
  });

  const endpoint = (events: WebhookEventType[] = [WebhookEventType.ExportCompleted]) => ({ url: 'https://example.com/hooks', events, secretSealed: 'v1.sealed' });
  const event = (accountId: string, type = WebhookEventType.ExportCompleted): WebhookEvent => ({
    accountId,
    eventId: `evt_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    eventType: type,
    exportId: randomUUID(),
    body: '{"id":"x"}',
  });

  it('holds the per-account cap when 20 creations race', async () => {
    const { accountId } = await accounts.createAccount('racing');
    const results = await Promise.all(Array.from({ length: 20 }, () => webhooks.create(accountId, endpoint(), 3)));
    expect(results.filter((result) => result.record)).toHaveLength(3);
    expect((await webhooks.list(accountId, 0, 100)).totalItems).toBe(3);
  });

  it('fans an event out once per subscribed, enabled endpoint of its account, however often it arrives', async () => {
    const { accountId } = await accounts.createAccount('fan-out');
    const other = await accounts.createAccount('other');
    const completed = (await webhooks.create(accountId, endpoint(), 10)).record!;
    const both = (await webhooks.create(accountId, endpoint([WebhookEventType.ExportCompleted, WebhookEventType.ExportFailed]), 10)).record!;
    await webhooks.create(accountId, endpoint([WebhookEventType.ExportFailed]), 10);
    const disabled = (await webhooks.create(accountId, endpoint(), 10)).record!;
    await dataSource.query(`UPDATE webhook_endpoints SET enabled = false WHERE id = $1`, [disabled.id]);
    await webhooks.create(other.accountId, endpoint(), 10);

    const arrival = event(accountId);
    const first = await deliveries.recordEvent(arrival);
    expect(first).toHaveLength(2);
    // The event again (a redelivery): no new row, the same PENDING deliveries handed back.
    expect((await deliveries.recordEvent(arrival)).sort()).toEqual([...first].sort());
    const rows: Array<{ endpoint_id: string }> = await dataSource.query(`SELECT endpoint_id FROM webhook_deliveries WHERE event_id = $1`, [arrival.eventId]);
    expect(rows.map((row) => row.endpoint_id).sort()).toEqual([completed.id, both.id].sort());
    // Once a delivery is no longer PENDING it is not handed back again.
    await deliveries.succeeded(first[0], 200, 12);
    expect(await deliveries.recordEvent(arrival)).toEqual([first[1]]);
  });

  it('counts an attempt before it is made; a retry not yet due is early; a done delivery is done', async () => {
    const { accountId } = await accounts.createAccount('attempts');
    await webhooks.create(accountId, endpoint(), 10);
    const [id] = await deliveries.recordEvent(event(accountId));
    const started = await deliveries.startAttempt(accountId, id, 30);
    expect(started).toMatchObject({ kind: 'started', delivery: { id, attempts: 1, body: '{"id":"x"}' } });
    expect(await deliveries.startAttempt(randomUUID(), id, 30)).toEqual({ kind: 'done' }); // another account's id names nothing

    await deliveries.failed(id, { httpStatus: 503, latencyMs: 5, error: 'The receiver answered 503', nextRetryAt: new Date(Date.now() + 60_000) }, { disableAfterSeconds: 86_400, gapSeconds: 3600, scheduleSeconds: 86_400 });
    const early = await deliveries.startAttempt(accountId, id, 30);
    expect(early.kind).toBe('early');
    expect(early.kind === 'early' && early.waitMs).toBeGreaterThan(50_000);

    await dataSource.query(`UPDATE webhook_deliveries SET next_retry_at = now() WHERE id = $1`, [id]);
    expect(await deliveries.startAttempt(accountId, id, 30)).toMatchObject({ kind: 'started', delivery: { attempts: 2 } });
    await deliveries.succeeded(id, 204, 7);
    expect(await deliveries.startAttempt(accountId, id, 30)).toEqual({ kind: 'done' });
    const [row] = await dataSource.query(`SELECT status, attempts, last_http_status, last_error, next_retry_at FROM webhook_deliveries WHERE id = $1`, [id]);
    expect(row).toEqual({ status: 'SUCCEEDED', attempts: 2, last_http_status: 204, last_error: null, next_retry_at: null });
  });

  it('claims an attempt: of five jobs for one delivery at once, one starts it and the others wait the claim out; a lapsed claim can be taken', async () => {
    const { accountId } = await accounts.createAccount('claims');
    await webhooks.create(accountId, endpoint(), 10);
    const [id] = await deliveries.recordEvent(event(accountId));
    const starts = await Promise.all(Array.from({ length: 5 }, () => deliveries.startAttempt(accountId, id, 30)));
    expect(starts.filter((start) => start.kind === 'started')).toHaveLength(1);
    for (const start of starts.filter((s) => s.kind !== 'started')) {
      expect(start.kind).toBe('early');
      expect(start.kind === 'early' && start.waitMs).toBeGreaterThan(25_000);
    }
    const [claimed] = await dataSource.query(`SELECT attempts, next_retry_at > now() + interval '25 seconds' AS claimed FROM webhook_deliveries WHERE id = $1`, [id]);
    expect(claimed).toEqual({ attempts: 1, claimed: true });
    // The worker holding the claim died: once it lapses, the next job makes the attempt.
    await dataSource.query(`UPDATE webhook_deliveries SET next_retry_at = now() - interval '1 second' WHERE id = $1`, [id]);
    expect(await deliveries.startAttempt(accountId, id, 30)).toMatchObject({ kind: 'started', delivery: { attempts: 2 } });
  });

  it('disables an endpoint on request (410), or once it has failed for the limit; its pending deliveries then end FAILED', async () => {
    const { accountId } = await accounts.createAccount('disabling');
    const gone = (await webhooks.create(accountId, endpoint(), 10)).record!;
    const [goneDelivery] = await deliveries.recordEvent(event(accountId));
    expect(await deliveries.failed(goneDelivery, { httpStatus: 410, latencyMs: 3, error: 'The receiver answered 410', disableReason: 'The receiver answered 410 Gone' }, { disableAfterSeconds: 86_400, gapSeconds: 3600, scheduleSeconds: 86_400 })).toBe(
      'The receiver answered 410 Gone',
    );
    expect(await webhooks.findOne(accountId, gone.id)).toMatchObject({ enabled: false, disabledReason: 'The receiver answered 410 Gone' });
    await dataSource.query(`DELETE FROM webhook_endpoints WHERE id = $1`, [gone.id]);

    const failing = (await webhooks.create(accountId, endpoint(), 10)).record!;
    const [first, second] = [await deliveries.recordEvent(event(accountId)), await deliveries.recordEvent(event(accountId))].flat();
    const retry = { latencyMs: 10_000, error: 'Timed out after 10000 ms', nextRetryAt: new Date(Date.now() + 60_000) };
    const hour = { disableAfterSeconds: 3600, gapSeconds: 600, scheduleSeconds: 3600 };
    expect(await deliveries.failed(first, retry, hour)).toBeUndefined();
    expect((await webhooks.findOne(accountId, failing.id))!.failingSince).toBeDefined();
    // Failing for more than the limit: the next failure disables it, naming the last error.
    await dataSource.query(`UPDATE webhook_endpoints SET failing_since = now() - interval '2 hours' WHERE id = $1`, [failing.id]);
    expect(await deliveries.failed(first, retry, hour)).toBe('Every delivery failed for 1 h; last error: Timed out after 10000 ms');
    expect(await deliveries.startAttempt(accountId, second, 30)).toEqual({ kind: 'done' });
    const rows = await dataSource.query(`SELECT id, status, last_error FROM webhook_deliveries WHERE id = ANY($1::uuid[]) ORDER BY id`, [[first, second]]);
    expect(rows.find((row: { id: string }) => row.id === second)).toMatchObject({ status: 'FAILED', last_error: 'The endpoint is disabled' });
    expect(rows.find((row: { id: string }) => row.id === first)).toMatchObject({ status: 'PENDING', last_error: 'Timed out after 10000 ms' });
  });

  it('counts only an unbroken run of failures: one long after the previous failure starts a new run, so a recovered receiver is not disabled by one failure', async () => {
    const { accountId } = await accounts.createAccount('failing-runs');
    const record = (await webhooks.create(accountId, endpoint(), 10)).record!;
    const [id] = await deliveries.recordEvent(event(accountId));
    // Disabled after 24 h of failing; failures more than 10 h apart are not one run.
    const window = { disableAfterSeconds: 86_400, gapSeconds: 36_000, scheduleSeconds: 86_400 };
    const retry = { httpStatus: 503, latencyMs: 4, error: 'The receiver answered 503', nextRetryAt: new Date(Date.now() + 60_000) };
    const state = async () =>
      (
        await dataSource.query(
          `SELECT enabled, extract(epoch FROM now() - failing_since)::int AS failing_for, extract(epoch FROM now() - last_failed_at)::int AS last_failed FROM webhook_endpoints WHERE id = $1`,
          [record.id],
        )
      )[0];
    const set = (failingSince: string, lastFailedAt: string) =>
      dataSource.query(`UPDATE webhook_endpoints SET failing_since = now() - $2::interval, last_failed_at = now() - $3::interval WHERE id = $1`, [record.id, failingSince, lastFailedAt]);

    // A run that ended 2 days ago (its delivery FAILED, then no event): a failure now starts a new run.
    await set('3 days', '2 days');
    expect(await deliveries.failed(id, retry, window)).toBeUndefined();
    expect(await state()).toEqual({ enabled: true, failing_for: 0, last_failed: 0 });
    // Just over the gap: a new run again.
    await set('30 hours', '10 hours 1 minute');
    expect(await deliveries.failed(id, retry, window)).toBeUndefined();
    expect(await state()).toEqual({ enabled: true, failing_for: 0, last_failed: 0 });
    // One run (last failure 9 h ago), failing for 23 h: still enabled, the run goes on.
    await set('23 hours', '9 hours');
    expect(await deliveries.failed(id, retry, window)).toBeUndefined();
    expect(await state()).toEqual({ enabled: true, failing_for: 23 * 3600, last_failed: 0 });
    // The same run, failing for 24 h 1 min: disabled by this failure, naming it.
    await set('24 hours 1 minute', '9 hours');
    expect(await deliveries.failed(id, retry, window)).toBe('Every delivery failed for 24 h; last error: The receiver answered 503');
    expect(await state()).toMatchObject({ enabled: false, failing_for: 24 * 3600 + 60 });
  });

  it('disables an endpoint when a delivery ends with every attempt failed in one run, not when the endpoint succeeded meanwhile', async () => {
    const window = { disableAfterSeconds: 86_400, gapSeconds: 36_000, scheduleSeconds: 86_400 };
    const retry = { httpStatus: 503, latencyMs: 4, error: 'The receiver answered 503', nextRetryAt: new Date(Date.now() + 60_000) };
    const last = { httpStatus: 503, latencyMs: 4, error: 'The receiver answered 503' };

    const failing = await accounts.createAccount('schedule-spent');
    const dead = (await webhooks.create(failing.accountId, endpoint(), 10)).record!;
    const [id] = await deliveries.recordEvent(event(failing.accountId));
    expect(await deliveries.failed(id, retry, window)).toBeUndefined();
    expect(await deliveries.failed(id, retry, window)).toBeUndefined();
    expect(await deliveries.failed(id, last, window)).toBe('Every attempt of a delivery failed, over its whole retry schedule (24 h); last error: The receiver answered 503');
    expect(await webhooks.findOne(failing.accountId, dead.id)).toMatchObject({ enabled: false });

    const recovering = await accounts.createAccount('recovered-meanwhile');
    const alive = (await webhooks.create(recovering.accountId, endpoint(), 10)).record!;
    const [slow] = await deliveries.recordEvent(event(recovering.accountId));
    const [quick] = await deliveries.recordEvent(event(recovering.accountId));
    expect(await deliveries.failed(slow, retry, window)).toBeUndefined();
    await deliveries.succeeded(quick, 200, 5);
    expect(await deliveries.failed(slow, last, window)).toBeUndefined();
    expect(await webhooks.findOne(recovering.accountId, alive.id)).toMatchObject({ enabled: true });
    const [row] = await dataSource.query(`SELECT status FROM webhook_deliveries WHERE id = $1`, [slow]);
    expect(row).toEqual({ status: 'FAILED' });
  });

  it('re-drives each overdue PENDING delivery (a lost job) once, and no delivery that is due later, claimed, recent or done', async () => {
    const { accountId } = await accounts.createAccount('redrive');
    await webhooks.create(accountId, endpoint(), 10);
    const ids = await Promise.all(Array.from({ length: 5 }, async () => (await deliveries.recordEvent(event(accountId)))[0]));
    const [neverTried, retryLost, recent, retryLater, done] = ids;
    await dataSource.query(`UPDATE webhook_deliveries SET created_at = now() - interval '1 hour' WHERE id = ANY($1::uuid[]) AND id <> $2`, [ids, recent]);
    await dataSource.query(`UPDATE webhook_deliveries SET next_retry_at = now() - interval '10 minutes' WHERE id = $1`, [retryLost]);
    await dataSource.query(`UPDATE webhook_deliveries SET next_retry_at = now() + interval '1 hour' WHERE id = $1`, [retryLater]);
    await deliveries.succeeded(done, 200, 5);
    const mine = (redriven: Array<{ id: string; accountId: string }>) => redriven.filter((d) => d.accountId === accountId).map((d) => d.id).sort();

    // Two sweeps at once (two instances): each overdue delivery is taken by one of them.
    const [first, second] = await Promise.all([deliveries.redriveOverdue(300, 100), deliveries.redriveOverdue(300, 100)]);
    expect([...mine(first), ...mine(second)].sort()).toEqual([neverTried, retryLost].sort());
    // Marked due now: not overdue again until its new job is lost too.
    expect(mine(await deliveries.redriveOverdue(300, 100))).toEqual([]);
    expect(await deliveries.startAttempt(accountId, neverTried, 30)).toMatchObject({ kind: 'started', delivery: { attempts: 1 } });
    await dataSource.query(`UPDATE webhook_deliveries SET next_retry_at = now() - interval '10 minutes' WHERE id = $1`, [retryLost]);
    expect(mine(await deliveries.redriveOverdue(300, 100))).toEqual([retryLost]);
  });

  it('goes with its account: deleting the account removes its endpoints and their deliveries', async () => {
    const { accountId } = await accounts.createAccount('purged');
    await webhooks.create(accountId, endpoint(), 10);
    await deliveries.recordEvent(event(accountId));
    await dataSource.query(`DELETE FROM api_keys WHERE account_id = $1`, [accountId]);
    await dataSource.query(`DELETE FROM accounts WHERE id = $1`, [accountId]);
    expect(await dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE account_id = $1`, [accountId])).toEqual([{ n: 0 }]);
  });
});
