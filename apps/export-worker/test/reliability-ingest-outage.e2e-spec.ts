import { Subjects } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { deadLettersOf, sleep, TcpProxy, TestStack, waitUntil } from '@exports/testing';

/** Outage length and burst size; the full scenario is RELIABILITY_OUTAGE_SECONDS=300 RELIABILITY_EVENTS=50000. */
const OUTAGE_SECONDS = Number(process.env.RELIABILITY_OUTAGE_SECONDS ?? 60);
const EVENTS = Number(process.env.RELIABILITY_EVENTS ?? 4000);
/** Where ingestion used to give up on an event (max_deliver). */
const OLD_DELIVERY_LIMIT = 20;

/**
 * PostgreSQL unreachable from the ingesting apps (through a proxy the test cuts; the machine's
 * server keeps running for everyone else) for longer than the old give-up point, while a burst
 * of contacts and messages is published: afterwards every event is stored, none dead-lettered.
 */
describe('ingestion through a PostgreSQL outage (e2e)', () => {
  // Short delays, so that the old limit of 20 deliveries is passed within the outage.
  const stack = new TestStack({ apps: [], env: { INGEST_RETRY_BASE_MS: '50', INGEST_RETRY_MAX_MS: '400' } });
  let proxy: TcpProxy;
  let account: CreatedAccount;
  const figures = { outageSeconds: 0, sent: 0, stored: 0, deadLettered: 0, lost: 0, maxDeliveries: 0, failingWarnings: 0, drainSeconds: 0 };

  beforeAll(async () => {
    const direct = new URL(stack.databaseUrl);
    proxy = await new TcpProxy(direct.hostname, Number(direct.port)).start();
    await stack.start();
    const proxied = new URL(stack.databaseUrl);
    proxied.port = String(proxy.port);
    // The stack created and migrated the database directly; the apps reach it only through the proxy.
    await stack.startApp('export-worker', { DATABASE_URL: proxied.toString() });
    await stack.startApp('history-service', { DATABASE_URL: proxied.toString() });
    account = await stack.createAccount('outage');
  }, 120_000);

  afterAll(async () => {
    process.stdout.write(`reliability-ingest-outage: ${JSON.stringify(figures)}\n`);
    await proxy?.stop();
    await stack.stop();
  }, 120_000);

  const count = async (table: string) => (await stack.query(`SELECT count(*)::int AS n FROM ${table} WHERE account_id = $1`, [account.accountId]))[0].n as number;
  const logs = () => [...stack.logsOf('export-worker'), ...stack.logsOf('history-service')];
  const logged = (message: string) => logs().filter((line) => line.includes(`"message":"${message}`));

  it(`stores all ${EVENTS} events published during a ${OUTAGE_SECONDS} s outage, and dead-letters none`, async () => {
    const contacts = Math.ceil(EVENTS / 2);
    const messages = EVENTS - contacts;
    const events: Array<[string, unknown]> = [];
    for (let n = 0; n < Math.max(contacts, messages); n++) {
      if (n < contacts) {
        const contact = { id: `c-${n}`, phoneNumber: '+33612345678', firstName: `First ${n}`, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-02T00:00:00Z' };
        events.push([Subjects.platform.contactsUpserted, { accountId: account.accountId, contact }]);
      }
      if (n < messages) {
        const message = { messageId: `m-${n}`, channel: 'SMS', direction: 'OUTBOUND', sender: 'ACME', destination: '+33612345678', body: `Body ${n}`, status: 'SENT', sendDate: '2026-01-10T00:00:00Z' };
        events.push([Subjects.platform.messagesRecorded, { accountId: account.accountId, message }]);
      }
    }

    const cutAt = Date.now();
    proxy.cut();
    for (let at = 0; at < events.length; at += 500) {
      await Promise.all(events.slice(at, at + 500).map(([subject, payload]) => stack.publishFor(account.accountId, subject, payload)));
    }
    figures.sent = events.length;
    await waitUntil('both apps report the failure', () => logged('Ingestion failing').length >= 2, 60_000);
    // The outage itself: nothing to wait for but the time it lasts.
    await sleep(Math.max(0, cutAt + OUTAGE_SECONDS * 1000 - Date.now()));
    expect(await count('contacts')).toBe(0);
    proxy.restore();
    const restoredAt = Date.now();
    figures.outageSeconds = Math.round((restoredAt - cutAt) / 1000);

    await waitUntil('every event stored', async () => (await count('contacts')) === contacts && (await count('messages')) === messages, 30 * 60_000, 1000);
    figures.drainSeconds = Math.round((Date.now() - restoredAt) / 1000);
    figures.stored = (await count('contacts')) + (await count('messages'));
    figures.deadLettered = (await deadLettersOf(stack)).length;
    figures.lost = figures.sent - figures.stored - figures.deadLettered;
    expect(figures).toMatchObject({ stored: EVENTS, deadLettered: 0, lost: 0 });

    // Each app said once that it was failing and once that it recovered (not one line per event),
    // and events were delivered more often than the old limit without being given up.
    await waitUntil('both apps report the recovery', () => logged('Ingestion recovered').length >= 2, 60_000);
    const recovered = logged('Ingestion recovered').map((line) => JSON.parse(line) as { maxDeliveries: number; retriedEvents: number });
    figures.maxDeliveries = Math.max(...recovered.map((line) => line.maxDeliveries));
    figures.failingWarnings = logged('Ingestion failing').length;
    expect(figures.maxDeliveries).toBeGreaterThan(OLD_DELIVERY_LIMIT);
    expect(figures.failingWarnings).toBeLessThan(10);
    expect(logged('Invalid event terminated')).toEqual([]);

    // The metrics say the same: every message accepted (some twice: delivery is at least once, and
    // a batch written as the database went away is written again), redeliveries counted, a lag.
    const metrics = (await stack.ops<string>('history-service', '/metrics')).body;
    const value = (name: string, labels: string) => Number(new RegExp(`${name}\\{[^}]*${labels}[^}]*\\} (\\S+)`).exec(metrics)?.[1]);
    expect(value('ingest_events_total', 'consumer="history-service-messages",outcome="accepted"')).toBeGreaterThanOrEqual(messages);
    expect(value('jetstream_redeliveries_total', 'consumer="history-service-messages"')).toBeGreaterThan(0);
    expect(value('ingest_lag_seconds', 'consumer="history-service-messages"')).toBeGreaterThan(0);
    expect(value('ingest_failing', 'consumer="history-service-messages"')).toBe(0);
  }, (OUTAGE_SECONDS + 30 * 60) * 1000);
});
