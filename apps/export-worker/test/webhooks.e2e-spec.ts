import { CreatedAccount } from '@exports/database';
import { TestStack, verifyWebhook, WebhookReceiver } from '@exports/testing';
import { accountWithContacts, completedExport, createWebhook, deliveriesOf, waitForDeliveries } from './webhooks-checks';

/**
 * Webhooks end to end: the real gateway and export-worker, PostgreSQL, NATS and the S3 server, and
 * a real HTTP receiver on 127.0.0.1 that checks every signature with the Standard Webhooks
 * verifier. Retries are short (1 s) and the attempt timeout 1.5 s, so faults play out in seconds.
 */
describe('webhooks (e2e)', () => {
  const TIMEOUT_MS = 1500;
  const stack = new TestStack({
    apps: ['api-gateway', 'export-worker'],
    // A delivery overdue by 2 s has lost its job: the housekeeping sweep (every second) publishes it again.
    env: {
      WEBHOOK_RETRY_SCHEDULE: '1s,1s,1s,1s,1s,1s',
      WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
      EXPORT_MAX_OPEN_PER_ACCOUNT: '50',
      WEBHOOK_REDRIVE_AFTER_SECONDS: '2',
      EXPORT_SWEEP_INTERVAL_SECONDS: '1',
    },
  });
  const receiver = new WebhookReceiver();
  /** Deliveries the receivers were meant to get in the end (every one but the 410's). */
  const expected = new Map<string, { account: CreatedAccount; webhookId: string }>();
  let kills = 0;

  beforeAll(async () => {
    await Promise.all([stack.start(), receiver.start()]);
  });

  afterAll(async () => {
    const [figures] = await stack.query(
      `SELECT count(*)::int AS deliveries, coalesce(sum(attempts), 0)::int AS attempted, (count(*) FILTER (WHERE status = 'SUCCEEDED'))::int AS delivered,
              coalesce(sum(attempts - 1), 0)::int AS retried FROM webhook_deliveries`,
    );
    const lost = await stack.query(`SELECT id FROM webhook_deliveries WHERE endpoint_id = ANY($1::uuid[]) AND status <> 'SUCCEEDED'`, [[...expected.values()].map((e) => e.webhookId)]);
    process.stdout.write(
      `webhooks: ${figures.deliveries} deliveries, ${figures.attempted} attempts, ${figures.delivered} delivered, ${figures.retried} retried, ${lost.length} lost, ${receiver.received.length} requests received, ${kills} SIGKILLs\n`,
    );
    await receiver.close();
    await stack.stop();
  }, 60_000);

  it('an export completed: one signed delivery, verified by the Standard Webhooks verifier', async () => {
    const account = await accountWithContacts(stack, 'completed');
    const completed = await createWebhook(stack, account, receiver.url('/completed'), ['export.completed']);
    const failedOnly = await createWebhook(stack, account, receiver.url('/failed-only'), ['export.failed']);
    expected.set('completed', { account, webhookId: completed.webhookId });
    const exportId = await completedExport(stack, account);

    const [request] = await receiver.waitFor('/completed', 1);
    const body = verifyWebhook(request, completed.secret);
    expect(body).toMatchObject({ id: request.headers['webhook-id'], type: 'export.completed', data: { exportId, status: 'COMPLETED', rowCount: 3 } });
    expect(body.id).toMatch(/^evt_[0-9a-f]{24}$/);
    expect(new Date(body.createdAt).getTime()).not.toBeNaN();
    expect(request.headers['content-type']).toBe('application/json');
    expect(() => verifyWebhook(request, failedOnly.secret)).toThrow();

    const [delivery] = await waitForDeliveries(stack, account, completed.webhookId, 'the delivery SUCCEEDED', (d) => d[0]?.status === 'SUCCEEDED');
    expect(delivery).toMatchObject({ eventId: body.id, eventType: 'export.completed', exportId, status: 'SUCCEEDED', attempts: 1, httpStatus: 200 });
    expect(delivery.latencyMs).toBeGreaterThanOrEqual(0);
    expect(delivery.nextRetryAt).toBeUndefined();
    // The event was fanned out in one statement: the endpoint that wants only export.failed got no delivery.
    expect(await deliveriesOf(stack, account, failedOnly.webhookId)).toEqual([]);
    expect(receiver.requestsTo('/failed-only')).toEqual([]);
  });

  it('a receiver that fails 3 times, then succeeds: one delivery, SUCCEEDED after 4 attempts', async () => {
    const account = await accountWithContacts(stack, 'flaky');
    receiver.script('/flaky', [500, 503, 502, 200]);
    const endpoint = await createWebhook(stack, account, receiver.url('/flaky'));
    expected.set('flaky', { account, webhookId: endpoint.webhookId });
    const exportId = await completedExport(stack, account);

    const [delivery] = await waitForDeliveries(stack, account, endpoint.webhookId, 'SUCCEEDED after the retries', (d) => d[0]?.status === 'SUCCEEDED');
    expect(delivery).toMatchObject({ exportId, status: 'SUCCEEDED', attempts: 4, httpStatus: 200 });
    const requests = receiver.requestsTo('/flaky');
    expect(requests).toHaveLength(4);
    // Every attempt carries the same event id and body, each freshly signed.
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    for (const request of requests) expect(verifyWebhook(request, endpoint.secret).data.exportId).toBe(exportId);
    const page = await stack.http('GET', `/webhooks/${endpoint.webhookId}`, { apiKey: account.apiKey });
    expect(page.body).toMatchObject({ enabled: true });
    expect(page.body.failingSince).toBeUndefined();
  });

  it('a receiver that hangs: the attempt times out, and the retry delivers', async () => {
    const account = await accountWithContacts(stack, 'hanging');
    receiver.script('/hang', ['hang', 200]);
    const endpoint = await createWebhook(stack, account, receiver.url('/hang'));
    expected.set('hang', { account, webhookId: endpoint.webhookId });
    await completedExport(stack, account);

    const [first] = await waitForDeliveries(stack, account, endpoint.webhookId, 'the timed-out attempt recorded', (d) => d[0]?.attempts >= 1 && d[0]?.lastError !== undefined);
    expect(first).toMatchObject({ status: 'PENDING', lastError: `Timed out after ${TIMEOUT_MS} ms` });
    expect(first.latencyMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(first.nextRetryAt).toBeDefined();
    const [delivery] = await waitForDeliveries(stack, account, endpoint.webhookId, 'SUCCEEDED on the retry', (d) => d[0]?.status === 'SUCCEEDED');
    expect(delivery).toMatchObject({ status: 'SUCCEEDED', attempts: 2, httpStatus: 200 });
    expect(delivery.lastError).toBeUndefined();
    expect(receiver.requestsTo('/hang')).toHaveLength(2);
  });

  it('a 3xx is a failed attempt, not followed: the retry delivers, and the redirect target gets nothing', async () => {
    const account = await accountWithContacts(stack, 'redirected');
    receiver.script('/redirected', ['redirect', 200]);
    const endpoint = await createWebhook(stack, account, receiver.url('/redirected'));
    expected.set('redirected', { account, webhookId: endpoint.webhookId });
    await completedExport(stack, account);

    const [first] = await waitForDeliveries(stack, account, endpoint.webhookId, 'the redirected attempt recorded', (d) => d[0]?.attempts >= 1 && d[0]?.lastError !== undefined);
    expect(first).toMatchObject({ status: 'PENDING', httpStatus: 307, lastError: 'The receiver answered 307 (a redirect, not followed)' });
    const [delivery] = await waitForDeliveries(stack, account, endpoint.webhookId, 'SUCCEEDED on the retry', (d) => d[0]?.status === 'SUCCEEDED');
    expect(delivery).toMatchObject({ status: 'SUCCEEDED', attempts: 2, httpStatus: 200 });
    expect(receiver.requestsTo('/redirected')).toHaveLength(2);
    expect(receiver.requestsTo('/redirected/moved')).toEqual([]);
  });

  it('a 2xx whose body never ends: 64 KB are read, the connection is dropped, and the delivery SUCCEEDED at once (not timed out)', async () => {
    const account = await accountWithContacts(stack, 'endless');
    receiver.script('/endless', ['endless']);
    const endpoint = await createWebhook(stack, account, receiver.url('/endless'));
    expected.set('endless', { account, webhookId: endpoint.webhookId });
    await completedExport(stack, account);

    const [delivery] = await waitForDeliveries(stack, account, endpoint.webhookId, 'the delivery ended', (d) => d[0]?.attempts >= 1 && (d[0]?.status === 'SUCCEEDED' || d[0]?.lastError !== undefined));
    // Reading on would run into the attempt's timeout (a failed attempt, "Timed out after …").
    expect(delivery).toMatchObject({ status: 'SUCCEEDED', attempts: 1, httpStatus: 200 });
    expect(delivery.lastError).toBeUndefined();
    expect(receiver.requestsTo('/endless')).toHaveLength(1);
  });

  it('WEBHOOK_ALLOW_INSECURE=true allows http and loopback only: a 10.x address and the metadata addresses are still refused', async () => {
    const account = await accountWithContacts(stack, 'insecure-but-not-private');
    const targets = {
      private: await createWebhook(stack, account, 'http://10.20.30.40/hook'),
      metadata: await createWebhook(stack, account, 'http://169.254.169.254/latest/meta-data/'),
      alibabaMetadata: await createWebhook(stack, account, 'http://100.100.100.200/latest/meta-data/'),
    };
    await completedExport(stack, account);

    for (const [name, endpoint] of Object.entries(targets)) {
      // Refused before connecting, at every attempt: the schedule runs out, and the delivery is FAILED.
      const [delivery] = await waitForDeliveries(stack, account, endpoint.webhookId, `${name}: FAILED`, (d) => d[0]?.status === 'FAILED');
      // Every attempt of the schedule (7), or fewer when attempts ran late and the retry window (the
      // schedule's 6 s from the delivery's creation) closed first, as on a loaded machine.
      expect({ name, httpStatus: delivery.httpStatus }).toEqual({ name, httpStatus: undefined });
      expect(delivery.attempts).toBeGreaterThanOrEqual(2);
      expect(delivery.attempts).toBeLessThanOrEqual(7);
      expect(delivery.lastError).toMatch(/^Refused: DNS lookup .* is not allowed\./);
    }
  });

  it('410 Gone disables the endpoint, with the reason on GET /webhooks/{id}; nothing more is sent to it', async () => {
    const account = await accountWithContacts(stack, 'gone');
    receiver.script('/gone', [410]);
    const gone = await createWebhook(stack, account, receiver.url('/gone'));
    const other = await createWebhook(stack, account, receiver.url('/gone-other'));
    expected.set('gone-other', { account, webhookId: other.webhookId });
    await completedExport(stack, account);

    const [delivery] = await waitForDeliveries(stack, account, gone.webhookId, 'the delivery FAILED on the 410', (d) => d[0]?.status === 'FAILED');
    expect(delivery).toMatchObject({ status: 'FAILED', attempts: 1, httpStatus: 410, lastError: 'The receiver answered 410' });
    const endpoint = await stack.http('GET', `/webhooks/${gone.webhookId}`, { apiKey: account.apiKey });
    expect(endpoint.body).toMatchObject({ enabled: false, disabledReason: 'The receiver answered 410 Gone' });
    expect(new Date(endpoint.body.disabledAt).getTime()).not.toBeNaN();

    // A second export: the enabled endpoint gets it; the disabled one gets no delivery at all.
    await completedExport(stack, account);
    await receiver.waitFor('/gone-other', 2);
    expect(await deliveriesOf(stack, account, gone.webhookId)).toHaveLength(1);
    expect(receiver.requestsTo('/gone')).toHaveLength(1);
  });

  it('rotate-secret: the new secret signs, and the old one beside it for 24 h (two signatures)', async () => {
    const account = await accountWithContacts(stack, 'rotation');
    const endpoint = await createWebhook(stack, account, receiver.url('/rotated'));
    expected.set('rotated', { account, webhookId: endpoint.webhookId });
    const rotated = await stack.http('POST', `/webhooks/${endpoint.webhookId}/rotate-secret`, { apiKey: account.apiKey });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    const hoursLeft = (new Date(rotated.body.previousSecretExpiresAt).getTime() - Date.now()) / 3_600_000;
    expect(hoursLeft).toBeGreaterThan(23.9);
    expect(hoursLeft).toBeLessThanOrEqual(24);
    // The secret is shown on rotation only.
    expect((await stack.http('GET', `/webhooks/${endpoint.webhookId}`, { apiKey: account.apiKey })).body.secret).toBeUndefined();

    await completedExport(stack, account);
    const [request] = await receiver.waitFor('/rotated', 1);
    expect(request.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verifyWebhook(request, rotated.body.secret).type).toBe('export.completed');
    expect(verifyWebhook(request, endpoint.secret).type).toBe('export.completed');
  });

  it('an export cancelled: export.cancelled delivered with the export as CANCELLED, to the endpoints that asked for it', async () => {
    const account = await accountWithContacts(stack, 'cancelled');
    const cancelledOnly = await createWebhook(stack, account, receiver.url('/cancelled'), ['export.cancelled']);
    const completedOnly = await createWebhook(stack, account, receiver.url('/cancelled-not-wanted'), ['export.completed']);
    expected.set('cancelled', { account, webhookId: cancelledOnly.webhookId });
    // No history-service in this stack: a message-history export stays PENDING until it is cancelled.
    const created = await stack.http('POST', '/messages/history/export', { apiKey: account.apiKey, body: { startDateTime: '2026-01-01', endDateTime: '2026-01-31' } });
    expect(created.status).toBe(202);
    const exportId = created.body.exportId;
    const cancelled = await stack.http('POST', `/exports/${exportId}/cancel`, { apiKey: account.apiKey });
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'CANCELLED' } });

    const [request] = await receiver.waitFor('/cancelled', 1);
    const body = verifyWebhook(request, cancelledOnly.secret);
    expect(body).toMatchObject({ type: 'export.cancelled', data: { exportId, status: 'CANCELLED', cancelledAt: cancelled.body.cancelledAt } });
    const [delivery] = await waitForDeliveries(stack, account, cancelledOnly.webhookId, 'the delivery SUCCEEDED', (d) => d[0]?.status === 'SUCCEEDED');
    expect(delivery).toMatchObject({ eventType: 'export.cancelled', exportId, attempts: 1 });
    expect(await deliveriesOf(stack, account, completedOnly.webhookId)).toEqual([]);
  });

  /**
   * A delivery to `/<name>` whose first request is held open, and the export-worker SIGKILLed
   * while it waits for the answer (its job stays unacknowledged).
   */
  async function killedMidDelivery(name: string): Promise<{ account: CreatedAccount; endpoint: { webhookId: string; secret: string } }> {
    const account = await accountWithContacts(stack, name);
    const endpoint = await createWebhook(stack, account, receiver.url(`/${name}`));
    expected.set(name, { account, webhookId: endpoint.webhookId });
    receiver.script(`/${name}`, ['hang', 200]);
    await completedExport(stack, account);
    await receiver.waitFor(`/${name}`, 1);
    const [worker] = stack.instances('export-worker');
    expect((await stack.killInstance(worker, 'SIGKILL')).signal).toBe('SIGKILL');
    kills += 1;
    return { account, endpoint };
  }

  it('the worker SIGKILLed mid-delivery: the delivery is made after the restart, not lost', async () => {
    const { account, endpoint } = await killedMidDelivery('killed');
    const [orphan] = await deliveriesOf(stack, account, endpoint.webhookId);
    expect(orphan).toMatchObject({ status: 'PENDING', attempts: 1 });

    await stack.startApp('export-worker');
    const [delivery] = await waitForDeliveries(stack, account, endpoint.webhookId, 'delivered by the restarted worker', (d) => d[0]?.status === 'SUCCEEDED', 90_000);
    expect(delivery).toMatchObject({ status: 'SUCCEEDED', attempts: 2, httpStatus: 200 });
    const requests = receiver.requestsTo('/killed');
    expect(requests).toHaveLength(2);
    expect(requests[1].headers['webhook-id']).toBe(requests[0].headers['webhook-id']);
    verifyWebhook(requests[1], endpoint.secret);
    // The restarted worker counts its attempt, and reports its delivery backlog.
    const metrics = await stack.ops<string>('export-worker', '/metrics');
    expect(metrics.body).toMatch(/^webhook_attempts_total\{[^}]*outcome="delivered"[^}]*\} [1-9]/m);
    expect(metrics.body).toMatch(/^jetstream_consumer_pending_messages\{[^}]*consumer="export-worker-webhook-deliveries"[^}]*\} \d+/m);
  });

  it('a delivery whose job was purged from WEBHOOK_DELIVERIES (worker killed mid-attempt, then the purge): published again by the sweep, and delivered', async () => {
    // The only job of the delivery is unacknowledged in the stream: kill its worker, then lose the job.
    const { account, endpoint } = await killedMidDelivery('purged-job');
    const jsm = await (await stack.natsConnection()).jetstreamManager();
    const stream = stack.namespace.stream('webhookDeliveries').name;
    expect((await jsm.streams.info(stream)).state.messages).toBeGreaterThan(0);
    await jsm.streams.purge(stream);
    expect((await jsm.streams.info(stream)).state.messages).toBe(0);
    const [orphan] = await deliveriesOf(stack, account, endpoint.webhookId);
    expect(orphan).toMatchObject({ status: 'PENDING', attempts: 1 });

    await stack.startApp('export-worker');
    const [delivery] = await waitForDeliveries(stack, account, endpoint.webhookId, 'delivered after the re-drive', (d) => d[0]?.status === 'SUCCEEDED', 90_000);
    expect(delivery).toMatchObject({ status: 'SUCCEEDED', attempts: 2, httpStatus: 200 });
    const requests = receiver.requestsTo('/purged-job');
    expect(requests).toHaveLength(2);
    verifyWebhook(requests[1], endpoint.secret);
    expect(stack.logsOf('export-worker').some((line) => line.includes('Webhook delivery job lost; published again') && line.includes(orphan.deliveryId))).toBe(true);
  });

  it('every delivery meant to reach its receiver was delivered: none lost', async () => {
    for (const [name, { account, webhookId }] of expected) {
      const deliveries = await deliveriesOf(stack, account, webhookId);
      expect({ name, statuses: deliveries.map((d) => d.status) }).toEqual({ name, statuses: deliveries.map(() => 'SUCCEEDED') });
      expect(deliveries.length).toBeGreaterThan(0);
    }
  });
});
