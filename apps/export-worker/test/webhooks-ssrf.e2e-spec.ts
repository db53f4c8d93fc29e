import { CreatedAccount } from '@exports/database';
import { TestStack, WebhookReceiver } from '@exports/testing';
import { accountWithContacts, completedExport, createWebhook, waitForDeliveries } from './webhooks-checks';

/**
 * Webhooks as production runs them (WEBHOOK_ALLOW_INSECURE=false): plain http is refused when the
 * endpoint is registered, and a host that is (or resolves to) a loopback, private or metadata
 * address is refused at delivery, after DNS resolution, before any connection; the refusal is the
 * delivery's recorded error.
 */
describe('webhooks: SSRF refusals (e2e)', () => {
  // Endpoints failing for 1 s are disabled: by the third attempt (at least 1.6 s after the first), at the latest.
  const stack = new TestStack({
    apps: ['api-gateway', 'export-worker'],
    env: { WEBHOOK_ALLOW_INSECURE: 'false', WEBHOOK_RETRY_SCHEDULE: '1s,1s', WEBHOOK_DISABLE_AFTER_SECONDS: '1' },
  });
  // A live receiver on loopback: it must never be reached.
  const receiver = new WebhookReceiver();
  let account: CreatedAccount;

  beforeAll(async () => {
    await Promise.all([stack.start(), receiver.start()]);
    account = await accountWithContacts(stack, 'ssrf');
  });

  afterAll(async () => {
    await receiver.close();
    await stack.stop();
  }, 60_000);

  it('refuses a plain http URL at registration, naming url', async () => {
    const refused = await stack.http('POST', '/webhooks', { apiKey: account.apiKey, body: { url: receiver.url('/plain'), events: ['export.completed'] } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'url', message: 'url must be an https URL' }] });
  });

  it('refuses, at delivery, a host name resolving to 127.0.0.1, a 10.x address and the metadata address; records why, and disables the failing endpoints', async () => {
    const targets = {
      loopbackName: await createWebhook(stack, account, `https://localhost:${receiver.port}/hook`),
      privateAddress: await createWebhook(stack, account, 'https://10.20.30.40/hook'),
      metadata: await createWebhook(stack, account, 'https://169.254.169.254/latest/meta-data/'),
    };
    await completedExport(stack, account);

    for (const [name, endpoint] of Object.entries(targets)) {
      const [delivery] = await waitForDeliveries(stack, account, endpoint.webhookId, `${name}: FAILED`, (d) => d[0]?.status === 'FAILED');
      expect({ name, status: delivery.status }).toEqual({ name, status: 'FAILED' });
      // Two attempts, or three when the endpoint was not yet failing for 1 s at the second.
      expect([2, 3]).toContain(delivery.attempts);
      expect(delivery.httpStatus).toBeUndefined();
      expect(delivery.lastError).toMatch(/^Refused: DNS lookup .* is not allowed\. Because, It is private IP address\.$/);
      const disabled = await stack.http('GET', `/webhooks/${endpoint.webhookId}`, { apiKey: account.apiKey });
      expect(disabled.body).toMatchObject({ enabled: false });
      expect(disabled.body.disabledReason).toMatch(/^Every delivery failed for 1 s; last error: Refused: DNS lookup .* is not allowed/);
      expect(new Date(disabled.body.failingSince).getTime()).toBeLessThan(new Date(disabled.body.disabledAt).getTime());
    }
    const [loopback] = await waitForDeliveries(stack, account, targets.loopbackName.webhookId, 'loopback refusal', (d) => d.length === 1);
    expect(loopback.lastError).toMatch(/host:localhost\)/);
    expect(receiver.received).toEqual([]);
  });
});
