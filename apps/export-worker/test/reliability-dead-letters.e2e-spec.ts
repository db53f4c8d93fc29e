import { accountSubject, Consumers, Subjects } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { deadLettersOf, runAdmin, TestStack, waitUntil } from '@exports/testing';

/**
 * Events that cannot be stored are isolated to themselves: the rest of their batch is stored,
 * each bad one is parked on the dead-letter stream with its reason, and an operator can replay
 * them once the cause is fixed. Contacts (export-worker) and messages (history-service) alike.
 */
describe('dead letters of ingestion (e2e)', () => {
  const stack = new TestStack({ apps: ['export-worker', 'history-service'] });
  let account: CreatedAccount;
  const figures = { replay: { sent: 0, deadLettered: 0, replayed: 0, stored: 0 }, poison: { sent: 0, stored: 0, deadLettered: 0, lost: 0 } };

  const contactEvent = (id: string, extra: Record<string, unknown> = {}) => ({
    accountId: account.accountId,
    contact: { id, phoneNumber: '+33612345678', firstName: `First ${id}`, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-02T00:00:00Z', ...extra },
  });
  const messageEvent = (messageId: string, extra: Record<string, unknown> = {}) => ({
    accountId: account.accountId,
    message: {
      messageId,
      channel: 'SMS',
      direction: 'OUTBOUND',
      sender: 'ACME',
      destination: '+33612345678',
      body: `Body of ${messageId}`,
      status: 'SENT',
      sendDate: '2026-01-10T00:00:00Z',
      ...extra,
    },
  });

  /** Publishes in parallel, 200 at a time: a burst, so batches hold many events. */
  async function publishAll(events: Array<[string, unknown]>): Promise<void> {
    for (let at = 0; at < events.length; at += 200) await Promise.all(events.slice(at, at + 200).map(([subject, payload]) => stack.publishFor(account.accountId, subject, payload)));
  }

  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    (await stack.query(`SELECT count(*)::int AS n FROM ${table} WHERE account_id = $1 AND ${where}`, [account.accountId, ...params]))[0].n as number;

  beforeAll(async () => {
    await stack.start();
    account = await stack.createAccount('dead letters');
  }, 120_000);

  afterAll(async () => {
    process.stdout.write(`reliability-dead-letters: ${JSON.stringify(figures)}\n`);
    await stack.stop();
  }, 60_000);

  it('events a new CHECK constraint refuses are parked (SQLSTATE 23514), then stored by a replay once it is dropped', async () => {
    await stack.query(`ALTER TABLE contacts ADD CONSTRAINT held_for_review CHECK (first_name NOT LIKE 'Held%')`);
    await stack.query(`ALTER TABLE messages ADD CONSTRAINT held_for_review CHECK (campaign_id IS DISTINCT FROM 'held')`);
    const events: Array<[string, unknown]> = [];
    for (let n = 0; n < 100; n++) {
      events.push([Subjects.platform.contactsUpserted, contactEvent(`r-${n}`, n % 20 === 0 ? { firstName: `Held ${n}` } : {})]);
      events.push([Subjects.platform.messagesRecorded, messageEvent(`r-${n}`, n % 20 === 0 ? { campaignId: 'held' } : {})]);
    }
    figures.replay.sent = events.length;
    await publishAll(events);

    await waitUntil('the events the constraints refuse are dead letters', async () => (await deadLettersOf(stack)).length === 10);
    await waitUntil('the others are stored', async () => (await count('contacts')) === 95 && (await count('messages')) === 95);
    const letters = await deadLettersOf(stack);
    figures.replay.deadLettered = letters.length;
    for (const letter of letters) expect(letter.reason).toMatch(/SQLSTATE 23514.*held_for_review/);
    expect(letters.filter((letter) => letter.consumer === Consumers.exportWorkerContacts).map((letter) => letter.subject)).toEqual(Array(5).fill(accountSubject(Subjects.platform.contactsUpserted, account.accountId)));
    expect(letters.filter((letter) => letter.consumer === Consumers.historyServiceMessages).map((letter) => letter.subject)).toEqual(Array(5).fill(accountSubject(Subjects.platform.messagesRecorded, account.accountId)));

    await stack.query(`ALTER TABLE contacts DROP CONSTRAINT held_for_review`);
    await stack.query(`ALTER TABLE messages DROP CONSTRAINT held_for_review`);
    const run = await runAdmin(stack, 'dead-letters:replay', '--all');
    expect(run).toMatchObject({ code: 0 });
    const replayed = run.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { seq: number; subject: string });
    expect(replayed.map((line) => line.seq)).toEqual(letters.map((letter) => letter.seq));
    figures.replay.replayed = replayed.length;

    await waitUntil('the replayed events are stored', async () => (await count('contacts')) === 100 && (await count('messages')) === 100);
    figures.replay.stored = (await count('contacts')) + (await count('messages'));
    expect(await count('contacts', `first_name LIKE 'Held%'`)).toBe(5);
    expect(await count('messages', `campaign_id = 'held'`)).toBe(5);
    expect(await deadLettersOf(stack)).toEqual([]);
    expect((await runAdmin(stack, 'dead-letters:list')).stdout).toBe('');
  });

  it('3 poisoned events in a burst of 1,000: every good one stored, exactly 3 dead letters, each with its reason', async () => {
    const events: Array<[string, unknown]> = [];
    for (let n = 0; n < 500; n++) {
      events.push([Subjects.platform.contactsUpserted, contactEvent(`p-${n}`)]);
      events.push([Subjects.platform.messagesRecorded, messageEvent(`p-${n}`)]);
    }
    const poisoned: Array<[string, unknown, RegExp]> = [
      // Valid JSON and valid by the contract, refused by PostgreSQL: it fails its whole batch first.
      [Subjects.platform.contactsUpserted, contactEvent('poison-nul', { firstName: 'Nul\u0000Name' }), /SQLSTATE 22021/],
      [Subjects.platform.messagesRecorded, messageEvent('poison-cost', { cost: 1e12 }), /message\.cost must not be more than/],
      [Subjects.platform.contactsUpserted, contactEvent('poison-invalid', { createdAt: 'yesterday' }), /The event is not valid: contact\.createdAt/],
    ];
    // Spread through the burst, so each lands in a batch full of good events.
    events.splice(150, 0, poisoned[0].slice(0, 2) as [string, unknown]);
    events.splice(480, 0, poisoned[1].slice(0, 2) as [string, unknown]);
    events.splice(820, 0, poisoned[2].slice(0, 2) as [string, unknown]);
    figures.poison.sent = events.length;
    await publishAll(events);

    await waitUntil('every good event stored', async () => (await count('contacts', `id LIKE 'p-%'`)) === 500 && (await count('messages', `message_id LIKE 'p-%'`)) === 500);
    await waitUntil('3 dead letters', async () => (await deadLettersOf(stack)).length === 3);
    const letters = await deadLettersOf(stack);
    figures.poison.stored = (await count('contacts', `id LIKE 'p-%'`)) + (await count('messages', `message_id LIKE 'p-%'`));
    figures.poison.deadLettered = letters.length;
    figures.poison.lost = figures.poison.sent - figures.poison.stored - figures.poison.deadLettered;
    expect(figures.poison.lost).toBe(0);

    const byId = new Map(letters.map((letter) => [JSON.stringify(JSON.parse(Buffer.from(letter.body).toString())), letter]));
    for (const [subject, payload, reason] of poisoned) {
      const letter = byId.get(JSON.stringify(payload));
      expect(letter).toBeDefined();
      expect(letter).toMatchObject({ subject: accountSubject(subject, account.accountId), reason: expect.stringMatching(reason), deliveries: expect.any(Number), streamSeq: expect.any(Number) });
    }
    expect(await count('contacts', `id LIKE 'poison-%'`)).toBe(0);
    expect(await count('messages', `message_id LIKE 'poison-%'`)).toBe(0);
    // The listing an operator sees.
    const listed = (await runAdmin(stack, 'dead-letters:list')).stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
    expect(listed.map((line) => Object.keys(line).sort())).toEqual(Array(3).fill(['at', 'consumer', 'reason', 'seq', 'size', 'subject']));
    // No database or NATS failure on the way: the good events were never held back.
    const logs = [...stack.logsOf('export-worker'), ...stack.logsOf('history-service')];
    expect(logs.filter((line) => line.includes('"message":"Ingestion failing'))).toEqual([]);
    expect(logs.filter((line) => line.includes('"message":"Invalid event terminated"') && line.includes('"deadLettered":true'))).toHaveLength(13);
  });
});
