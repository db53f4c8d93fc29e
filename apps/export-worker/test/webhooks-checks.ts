import { CreatedAccount } from '@exports/database';
import { insertContacts, TestStack, waitUntil } from '@exports/testing';

/** Registers a webhook endpoint for the account and returns it with its secret. */
export async function createWebhook(stack: TestStack, account: CreatedAccount, url: string, events = ['export.completed']): Promise<{ webhookId: string; secret: string }> {
  const created = await stack.http('POST', '/webhooks', { apiKey: account.apiKey, body: { url, events } });
  expect(created.status).toBe(201);
  expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
  return created.body;
}

/** Requests an export of the account's few contacts and waits for it to complete. */
export async function completedExport(stack: TestStack, account: CreatedAccount): Promise<string> {
  const created = await stack.http('POST', '/exports/contacts', { apiKey: account.apiKey, body: {} });
  expect(created.status).toBe(202);
  const done = await stack.waitForExport(account.apiKey, created.body.exportId, 60_000);
  expect(done.status).toBe('COMPLETED');
  return created.body.exportId;
}

/** A new account with three contacts. */
export async function accountWithContacts(stack: TestStack, name: string): Promise<CreatedAccount> {
  const account = await stack.createAccount(name);
  await insertContacts(stack, account.accountId, 3);
  return account;
}

/** The deliveries of an endpoint as the API lists them. */
export async function deliveriesOf(stack: TestStack, account: CreatedAccount, webhookId: string): Promise<any[]> {
  const page = await stack.http('GET', `/webhooks/${webhookId}/deliveries?limit=100`, { apiKey: account.apiKey });
  expect(page.status).toBe(200);
  return page.body.items;
}

/** Waits until the endpoint's deliveries satisfy `check`, and returns them. */
export async function waitForDeliveries(stack: TestStack, account: CreatedAccount, webhookId: string, what: string, check: (deliveries: any[]) => boolean, timeoutMs = 60_000): Promise<any[]> {
  let deliveries: any[] = [];
  await waitUntil(what, async () => check((deliveries = await deliveriesOf(stack, account, webhookId))), timeoutMs, 250);
  return deliveries;
}
