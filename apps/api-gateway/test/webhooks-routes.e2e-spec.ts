import { CreatedAccount } from '@exports/database';
import { TestStack } from '@exports/testing';

/**
 * The webhook endpoint routes over the real gateway and PostgreSQL: validation naming the field,
 * the per-account cap, paging, secrets shown once and stored sealed, and accounts kept apart.
 */
describe('webhook routes (e2e)', () => {
  const stack = new TestStack({ apps: ['api-gateway'], env: { WEBHOOK_MAX_PER_ACCOUNT: '3' } });
  let account: CreatedAccount;
  let other: CreatedAccount;

  beforeAll(async () => {
    await stack.start();
    [account, other] = await Promise.all([stack.createAccount('owner'), stack.createAccount('other')]);
  });

  afterAll(async () => {
    await stack.stop();
  }, 60_000);

  const create = (who: CreatedAccount, body: unknown) => stack.http('POST', '/webhooks', { apiKey: who.apiKey, body });
  const fieldsOf = (body: { details?: Array<{ field: string }> }) => [...new Set((body.details ?? []).map((d) => d.field))].sort();

  it('creates an endpoint: 201 with the secret, shown only then; the database holds it sealed', async () => {
    const created = await create(account, { url: 'https://example.com/hooks', events: ['export.completed', 'export.cancelled'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: 'https://example.com/hooks', events: ['export.completed', 'export.cancelled'], enabled: true });
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const read = await stack.http('GET', `/webhooks/${created.body.webhookId}`, { apiKey: account.apiKey });
    expect(read.status).toBe(200);
    const { secret: _shownOnce, ...withoutSecret } = created.body;
    expect(read.body).toEqual(withoutSecret);
    const [row] = await stack.query(`SELECT secret_sealed FROM webhook_endpoints WHERE id = $1`, [created.body.webhookId]);
    expect(row.secret_sealed).toMatch(/^v1\./);
    expect(row.secret_sealed).not.toContain(created.body.secret.slice('whsec_'.length, 20));
    await stack.http('DELETE', `/webhooks/${created.body.webhookId}`, { apiKey: account.apiKey });
  });

  it.each([
    ['no body fields', {}, ['events', 'url']],
    ['a URL that is not one', { url: 'not a url', events: ['export.completed'] }, ['url']],
    ['an ftp URL', { url: 'ftp://example.com/hooks', events: ['export.completed'] }, ['url']],
    ['credentials in the URL', { url: 'https://user:secret@example.com/hooks', events: ['export.completed'] }, ['url']],
    ['a URL over 2048 characters', { url: `https://example.com/${'a'.repeat(2048)}`, events: ['export.completed'] }, ['url']],
    ['a URL that is a number', { url: 42, events: ['export.completed'] }, ['url']],
    ['a NUL inside a URL that parses', { url: 'https://hooks.example.com/a\u0000b', events: ['export.completed'] }, ['url']],
    ['a lone surrogate inside a URL that parses', { url: 'https://hooks.example.com/a\ud800b', events: ['export.completed'] }, ['url']],
    ['no event', { url: 'https://example.com/hooks', events: [] }, ['events']],
    ['an unknown event', { url: 'https://example.com/hooks', events: ['export.started'] }, ['events']],
    ['a repeated event', { url: 'https://example.com/hooks', events: ['export.failed', 'export.failed'] }, ['events']],
    ['events as a string', { url: 'https://example.com/hooks', events: 'export.failed' }, ['events']],
    ['a secret of its own', { url: 'https://example.com/hooks', events: ['export.failed'], secret: 'whsec_mine' }, ['secret']],
  ])('refuses %s: 400 VALIDATION_FAILED naming the field', async (_, body, fields) => {
    const refused = await create(account, body);
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('VALIDATION_FAILED');
    expect(fieldsOf(refused.body)).toEqual(fields);
  });

  it('caps the endpoints of an account (WEBHOOK_MAX_PER_ACCOUNT): 409 TOO_MANY_WEBHOOKS; a delete frees a slot', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await create(account, { url: `https://example.com/${i}`, events: ['export.failed'] })).body.webhookId);
    const refused = await create(account, { url: 'https://example.com/4', events: ['export.failed'] });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'TOO_MANY_WEBHOOKS' });
    // Another account has slots of its own.
    expect((await create(other, { url: 'https://example.com/other', events: ['export.failed'] })).status).toBe(201);

    const list = await stack.http('GET', '/webhooks?limit=2&page=1', { apiKey: account.apiKey });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ page: 1, limit: 2, totalItems: 3 });
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0].secret).toBeUndefined();
    expect((await stack.http('GET', '/webhooks?limit=0', { apiKey: account.apiKey })).body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'limit' }] });

    const deleted = await stack.http('DELETE', `/webhooks/${ids[0]}`, { apiKey: account.apiKey });
    expect(deleted.status).toBe(204);
    expect((await stack.http('GET', `/webhooks/${ids[0]}`, { apiKey: account.apiKey })).status).toBe(404);
    expect((await stack.http('DELETE', `/webhooks/${ids[0]}`, { apiKey: account.apiKey })).status).toBe(404);
    expect((await create(account, { url: 'https://example.com/again', events: ['export.failed'] })).status).toBe(201);
  });

  it("another account's endpoint is 404 on every route, and never listed", async () => {
    const mine = (await create(other, { url: 'https://example.com/mine', events: ['export.completed'] })).body;
    for (const [method, path] of [
      ['GET', `/webhooks/${mine.webhookId}`],
      ['DELETE', `/webhooks/${mine.webhookId}`],
      ['POST', `/webhooks/${mine.webhookId}/rotate-secret`],
      ['GET', `/webhooks/${mine.webhookId}/deliveries`],
    ]) {
      const answer = await stack.http(method, path, { apiKey: account.apiKey });
      expect({ method, path, status: answer.status, code: answer.body.code }).toEqual({ method, path, status: 404, code: 'NOT_FOUND' });
    }
    const listed = await stack.http('GET', '/webhooks?limit=100', { apiKey: account.apiKey });
    expect(listed.body.items.map((item: { webhookId: string }) => item.webhookId)).not.toContain(mine.webhookId);
    // Still there for its owner, with its secret unchanged by the refused rotation.
    expect((await stack.http('GET', `/webhooks/${mine.webhookId}`, { apiKey: other.apiKey })).body).toMatchObject({ webhookId: mine.webhookId, enabled: true });
    expect((await stack.http('GET', `/webhooks/${mine.webhookId}`, { apiKey: other.apiKey })).body.previousSecretExpiresAt).toBeUndefined();
  });

  it('an id that is not a UUID is 404; no API key is 401', async () => {
    expect((await stack.http('GET', '/webhooks/not-a-uuid', { apiKey: account.apiKey })).body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect((await stack.http('GET', '/webhooks/not-a-uuid/deliveries', { apiKey: account.apiKey })).status).toBe(404);
    expect((await stack.http('GET', '/webhooks')).status).toBe(401);
    expect((await stack.http('POST', '/webhooks', { body: { url: 'https://example.com/x', events: ['export.failed'] } })).status).toBe(401);
  });

  it('lists the deliveries of an endpoint, paged (none yet)', async () => {
    const endpoint = (await create(other, { url: 'https://example.com/deliveries', events: ['export.expired'] })).body;
    const page = await stack.http('GET', `/webhooks/${endpoint.webhookId}/deliveries?page=0&limit=5`, { apiKey: other.apiKey });
    expect(page.status).toBe(200);
    expect(page.body).toEqual({ items: [], page: 0, limit: 5, totalItems: 0 });
    expect((await stack.http('GET', `/webhooks/${endpoint.webhookId}/deliveries?page=-1`, { apiKey: other.apiKey })).body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'page' }] });
  });
});
