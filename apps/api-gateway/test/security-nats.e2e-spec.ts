import { randomUUID } from 'node:crypto';
import { connect, nkeyAuthenticator, nkeys, NatsConnection } from 'nats';
import { accountSubject, Subjects } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { NatsRole } from '@exports/platform';
import { TestStack, waitUntil } from '@exports/testing';

/**
 * The internal bus as an attacker on the network meets it: the stack's own nats-server with
 * the config `npm run nats` writes. Nobody connects without an identity; an identity reaches
 * only the subjects of its role, for the accounts it was given.
 */
describe('NATS authentication and permissions (e2e)', () => {
  const stack = new TestStack({ apps: ['api-gateway', 'export-worker', 'history-service'] });
  let a: CreatedAccount;
  let b: CreatedAccount;
  let readerA: NatsConnection;
  const FROM = '2026-01-01T00:00:00Z';
  const TO = '2026-01-02T00:00:00Z';

  beforeAll(async () => {
    await stack.start();
    a = await stack.createAccount('A');
    b = await stack.createAccount('B');
    readerA = await stack.natsCaller('crm-reader-a', NatsRole.Reader, [a.accountId]);
  });

  afterAll(async () => {
    await stack.stop();
  }, 60_000);

  /** A request in Nest's packet format on `subject` for `accountId`, from `nc`. */
  async function request(nc: NatsConnection, subject: string, accountId: string, data: Record<string, unknown>): Promise<{ response?: any; err?: any }> {
    const scoped = stack.namespace.subject(accountSubject(subject, accountId));
    const reply = await nc.request(scoped, JSON.stringify({ pattern: scoped, data, id: randomUUID() }), { timeout: 5000 });
    return JSON.parse(reply.string());
  }

  const browse = (accountId: string) => ({ accountId, channel: ['SMS'], from: FROM, to: TO });

  it('refuses a connection without credentials, and one with an unknown key', async () => {
    await expect(connect({ servers: stack.env.NATS_URL, reconnect: false })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
    const stranger = nkeys.createUser();
    await expect(connect({ servers: stack.env.NATS_URL, reconnect: false, authenticator: nkeyAuthenticator(stranger.getSeed()) })).rejects.toMatchObject({
      code: 'AUTHORIZATION_VIOLATION',
    });
  });

  it("a reader scoped to account A reads A's exports and history", async () => {
    expect((await request(readerA, Subjects.requests.exportsList, a.accountId, { accountId: a.accountId })).response).toMatchObject({ totalItems: 0 });
    expect((await request(readerA, Subjects.requests.historyBrowse, a.accountId, browse(a.accountId))).response).toMatchObject({ messages: [] });
    const exportId = randomUUID();
    const missing = await request(readerA, Subjects.requests.exportsGet, a.accountId, { accountId: a.accountId, exportId });
    expect(missing.err).toEqual({ status: 404, error: 'Not Found', code: 'NOT_FOUND', message: `Export ${exportId} was not found` });
  });

  it("the same reader can neither get, list nor browse account B, nor create exports", async () => {
    for (const [subject, data] of [
      [Subjects.requests.exportsGet, { accountId: b.accountId, exportId: randomUUID() }],
      [Subjects.requests.exportsList, { accountId: b.accountId }],
      [Subjects.requests.historyBrowse, browse(b.accountId)],
    ] as const) {
      await expect(request(readerA, subject, b.accountId, data)).rejects.toMatchObject({ code: 'PERMISSIONS_VIOLATION' });
    }
    await expect(request(readerA, Subjects.requests.exportsCreate, a.accountId, { accountId: a.accountId, type: 'CONTACTS', request: {} })).rejects.toMatchObject({
      code: 'PERMISSIONS_VIOLATION',
    });
    expect((await stack.query(`SELECT count(*)::int AS n FROM exports`))[0].n).toBe(0);
  });

  it("a reader cannot listen to the services' subjects or to another identity's replies", async () => {
    for (const subject of [stack.namespace.subject('exports.get.*'), '_INBOX_api-gateway.>', stack.namespace.subject('platform.>')]) {
      const subscription = readerA.subscribe(subject);
      await expect((async () => {
        for await (const message of subscription) return message;
      })()).rejects.toMatchObject({ code: 'PERMISSIONS_VIOLATION' });
    }
  });

  it('a reader, and the gateway itself, cannot publish platform events', async () => {
    const gateway = await stack.connectAs('api-gateway');
    try {
      for (const nc of [readerA, gateway]) {
        const contact = { id: `forged-${randomUUID()}`, email: 'forged@example.com', createdAt: FROM, updatedAt: FROM };
        const publish = nc.jetstream().publish(stack.namespace.subject(accountSubject(Subjects.platform.contactsUpserted, a.accountId)), JSON.stringify({ accountId: a.accountId, contact }));
        await expect(publish).rejects.toMatchObject({ code: 'PERMISSIONS_VIOLATION' });
      }
    } finally {
      await gateway.close();
    }
    expect(await stack.streamMessages('platform')).toEqual([]);
  });

  it('a publisher scoped to A publishes for A only; a payload naming another account than its subject is not applied', async () => {
    const publisher = await stack.natsCaller('crm-publisher-a', NatsRole.Publisher, [a.accountId]);
    const js = publisher.jetstream();
    const contact = (id: string) => ({ id, email: `${id}@example.com`, createdAt: FROM, updatedAt: FROM });
    await js.publish(stack.namespace.subject(accountSubject(Subjects.platform.contactsUpserted, a.accountId)), JSON.stringify({ accountId: a.accountId, contact: contact('a-own') }));
    await expect(
      js.publish(stack.namespace.subject(accountSubject(Subjects.platform.contactsUpserted, b.accountId)), JSON.stringify({ accountId: b.accountId, contact: contact('b-forged') })),
    ).rejects.toMatchObject({ code: 'PERMISSIONS_VIOLATION' });
    // Allowed subject, but the payload claims account B: refused by the consumer, B untouched.
    await js.publish(stack.namespace.subject(accountSubject(Subjects.platform.contactsUpserted, a.accountId)), JSON.stringify({ accountId: b.accountId, contact: contact('b-smuggled') }));
    await js.publish(stack.namespace.subject(accountSubject(Subjects.platform.contactsUpserted, a.accountId)), JSON.stringify({ accountId: a.accountId, contact: contact('a-after') }));
    await waitUntil('A contacts applied', async () => (await stack.query(`SELECT count(*)::int AS n FROM contacts WHERE account_id = $1`, [a.accountId]))[0].n === 2);
    expect(await stack.query(`SELECT account_id, id FROM contacts ORDER BY id`)).toEqual([
      { account_id: a.accountId, id: 'a-after' },
      { account_id: a.accountId, id: 'a-own' },
    ]);
    expect(stack.logsOf('export-worker').some((line) => line.includes('accountId must be the account of the subject'))).toBe(true);
  });

  it('a caller for every account is refused when its payload names another account than the subject', async () => {
    const everyAccount = await stack.natsCaller('reporting', NatsRole.Requester, ['*']);
    for (const [subject, data] of [
      [Subjects.requests.exportsGet, { accountId: b.accountId, exportId: randomUUID() }],
      [Subjects.requests.exportsList, { accountId: b.accountId }],
      [Subjects.requests.exportsCreate, { accountId: b.accountId, type: 'CONTACTS', request: {} }],
      [Subjects.requests.historyBrowse, browse(b.accountId)],
    ] as const) {
      const reply = await request(everyAccount, subject, a.accountId, data);
      const message = `accountId must be the account of the subject (${a.accountId})`;
      expect(reply.err).toEqual({ status: 403, error: 'Forbidden', code: 'ACCOUNT_MISMATCH', message, details: [{ field: 'accountId', message }] });
    }
    expect((await stack.query(`SELECT count(*)::int AS n FROM exports`))[0].n).toBe(0);
    // The same caller, subject and payload agreeing: answered.
    const created = await request(everyAccount, Subjects.requests.exportsCreate, b.accountId, { accountId: b.accountId, type: 'CONTACTS', request: {} });
    expect(created.response).toMatchObject({ status: 'PENDING' });
  });
});
