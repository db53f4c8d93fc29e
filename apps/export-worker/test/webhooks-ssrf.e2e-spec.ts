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
  const stack = new TestStack({ apps: ['api-gateway', 'export-worker'], env: { WEBHOOK_ALLOW_INSECURE: 'false', WEBHOOK_RETRY_SCHEDULE: '1s' } });
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

  it('refuses, at delivery, a host name resolving to 127.0.0.1, a 10.x address and the metadata address; records why', async () => {
    const targets = {
      loopbackName: await createWebhook(stack, account, `https://localhost:${receiver.port}/hook`),
      privateAddress: await createWebhook(stack, account, 'https://10.20.30.40/hook'),
      metadata: await createWebhook(stack, account, 'https://169.254.169.254/latest/meta-data/'),
    };
    await completedExport(stack, account);

    for (const [name, endpoint] of Object.entries(targets)) {
      const [delivery] = await waitForDeliveries(stack, account, endpoint.webhookId, `${name}: FAILED once the schedule is spent`, (d) => d[0]?.status === 'FAILED');
      expect({ name, status: delivery.status, attempts: delivery.attempts }).toEqual({ name, status: 'FAILED', attempts: 2 });
      expect(delivery.httpStatus).toBeUndefined();
      expect(delivery.lastError).toMatch(/^Refused: DNS lookup .* is not allowed\. Because, It is private IP address\.$/);
    }
    const [loopback] = await waitForDeliveries(stack, account, targets.loopbackName.webhookId, 'loopback refusal', (d) => d.length === 1);
    expect(loopback.lastError).toMatch(/host:localhost\)/);
    expect(receiver.received).toEqual([]);
  });
});
