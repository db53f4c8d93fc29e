import { NatsConnection } from 'nats';
import { accountSubject, Channel, DeliveryStatus, MessageDirection, Subjects } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { TestStack } from '@exports/testing';
import {
  accountAHistory,
  count,
  expectedItem,
  inHistoryOrder,
  iso,
  publishMessage,
  publishReport,
  T0,
  TestMessage,
  TestReport,
  waitFor,
} from './history-fixtures';

const FROM = '2026-01-01T00:00:00Z';
const TO = '2026-04-01T00:00:00Z';

/** Ingestion of platform.messages.* and GET /messages/history over real HTTP, NATS and PostgreSQL. */
describe('message history ingestion and browsing (e2e)', () => {
  const stack = new TestStack({ apps: ['api-gateway', 'history-service'] });
  let a: CreatedAccount;
  let b: CreatedAccount;
  let nats: NatsConnection;
  const { messages, reports } = accountAHistory();

  // A report that comes before its message, and a status older than the stored one.
  const late: TestMessage = message('late-1', T0 + 3_600_000, Channel.Rcs);
  const lateReport: TestReport = { messageId: 'late-1', status: DeliveryStatus.Delivered, occurredAt: iso(T0 + 3_600_000 + 20_000) };
  const older: TestMessage = message('older-1', T0 + 7_200_000, Channel.Sms);
  const newerReport: TestReport = { messageId: 'older-1', status: DeliveryStatus.Delivered, occurredAt: iso(T0 + 7_200_000 + 60_000) };
  const olderReport: TestReport = { messageId: 'older-1', status: DeliveryStatus.Sent, statusDescription: 'late SENT', occurredAt: iso(T0 + 7_200_000 + 10_000) };
  const bMessages = [message('b-1', T0 + 1000, Channel.Sms), message('b-2', T0 + 2000, Channel.Sms)];

  const allMessages = [...messages, late, older];
  const allReports = [...reports, lateReport, newerReport, olderReport];
  const expected = (filter: (m: TestMessage) => boolean) => inHistoryOrder(allMessages.filter(filter)).map((m) => expectedItem(m, allReports));
  /** 2026-01-10 in Pacific/Auckland (+13:00): 2026-01-09T11:00:00Z to 2026-01-10T11:00:00Z (excluded). */
  const onAucklandDay = (m: TestMessage) => Date.parse(m.sendDate) >= Date.parse('2026-01-09T11:00:00Z') && Date.parse(m.sendDate) < Date.parse('2026-01-10T11:00:00Z');

  beforeAll(async () => {
    await stack.start();
    [a, b] = [await stack.createAccount('A'), await stack.createAccount('B')];
    nats = await stack.natsConnection();

    await publishReport(stack, a.accountId, lateReport);
    for (const m of messages) await publishMessage(stack, a.accountId, m);
    for (const r of reports) await publishReport(stack, a.accountId, r);
    await publishMessage(stack, a.accountId, older);
    await publishReport(stack, a.accountId, newerReport);
    for (const m of bMessages) await publishMessage(stack, b.accountId, m);
    await waitFor(async () => (await count(stack, 'delivery_reports WHERE message_id = $1', ['late-1'])) === 1);
    expect(await count(stack, 'messages WHERE message_id = $1', ['late-1'])).toBe(0);
    await publishMessage(stack, a.accountId, late);
    await publishReport(stack, a.accountId, olderReport);

    // Invalid events: each is logged and terminated, the ones after it still go in.
    const bad: Array<[string, unknown]> = [
      [Subjects.platform.messagesRecorded, { accountId: a.accountId, message: { ...messages[0], messageId: 'bad-channel', channel: 'FAX' } }],
      [Subjects.platform.messagesRecorded, { accountId: a.accountId, message: { ...messages[0], messageId: 'bad-date', sendDate: '2026-02-30T10:00:00Z' } }],
      [Subjects.platform.messagesRecorded, { accountId: a.accountId, message: { ...messages[0], messageId: 'bad-nul', body: 'a\u0000b' } }],
      [Subjects.platform.messagesRecorded, { accountId: a.accountId, message: { ...messages[0], messageId: 'bad-cost', cost: 1e12 } }],
      [Subjects.platform.messagesStatus, { accountId: 'not-a-uuid', messageId: 'x', status: 'SENT', occurredAt: iso(T0) }],
      [Subjects.platform.messagesStatus, { accountId: a.accountId, messageId: 'x', status: 'READ', occurredAt: iso(T0) }],
      [Subjects.platform.messagesStatus, 'not json'],
    ];
    for (const [subject, payload] of bad) await stack.publishFor(a.accountId, subject, payload);
    await publishMessage(stack, a.accountId, message('after-bad', T0 - 60_000, Channel.WhatsApp));
    allMessages.push(message('after-bad', T0 - 60_000, Channel.WhatsApp));

    await waitFor(async () => (await count(stack, 'messages')) === allMessages.length + bMessages.length && (await count(stack, 'delivery_reports')) === allReports.length);
  }, 120_000);

  afterAll(async () => {
    await nats?.close();
    await stack.stop();
  }, 60_000);

  const browse = (query: Record<string, string | number | string[]>, apiKey = a.apiKey) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) for (const v of [value].flat()) params.append(key, String(v));
    return stack.http('GET', `/messages/history?${params}`, { apiKey });
  };

  async function walk(query: Record<string, string | number | string[]>, by: 'page' | 'cursor', limit: number): Promise<unknown[]> {
    const items: unknown[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const response = await browse({ ...query, limit, ...(by === 'page' ? { page } : cursor ? { cursor } : {}) });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ page, limit });
      expect(response.body.messages.length).toBeLessThanOrEqual(limit);
      items.push(...response.body.messages);
      if (!response.body.hasMore) {
        expect(response.body.nextCursor).toBeNull();
        return items;
      }
      expect(response.body.messages).toHaveLength(limit);
      cursor = response.body.nextCursor;
    }
    throw new Error('more than 100 pages');
  }

  it('logs and terminates invalid events, and keeps consuming', () => {
    const rejected = stack.logsOf('history-service').filter((line) => line.includes('Invalid event terminated'));
    expect(rejected).toHaveLength(7);
    const reasons = rejected.join('\n');
    for (const field of ['message.channel', 'message.sendDate', 'NUL', 'message.cost', 'accountId', 'status', 'not valid JSON']) expect(reasons).toContain(field);
  });

  it.each(['page', 'cursor'] as const)('walks every page by %s and gets exactly the published messages, in order, once each', async (by) => {
    for (const channel of Object.values(Channel)) {
      const items = await walk({ channel, from: FROM, to: TO }, by, 7);
      expect(items).toEqual(expected((m) => m.channel === channel));
    }
    const all = await walk({ channel: ['SMS', 'RCS', 'WHATSAPP'], from: FROM, to: TO }, by, 9);
    expect(all).toEqual(expected(() => true));
    expect(new Set(all.map((item: any) => item.messageId)).size).toBe(all.length);
  });

  it('filters by status, several channels and an inclusive range', async () => {
    const delivered = await walk({ channel: 'SMS,WHATSAPP', status: ['DELIVERED', 'ERROR'], from: FROM, to: TO }, 'cursor', 5);
    expect(delivered).toEqual(expected((m) => m.channel !== Channel.Rcs && ['DELIVERED', 'ERROR'].includes(expectedItem(m, allReports).status as string)));
    expect(delivered.length).toBeGreaterThan(5);

    const sms = inHistoryOrder(allMessages.filter((m) => m.channel === Channel.Sms));
    const [first, last] = [sms[3], sms[10]];
    // Bounds are inclusive, and may be given in any offset.
    const from = new Date(first.sendDate).toISOString().replace('Z', '+00:00');
    const to = isoWithOffset(last.sendDate, 9 * 60);
    const ranged = await walk({ channel: 'SMS', from, to }, 'page', 4);
    expect(ranged.map((item: any) => item.messageId)).toEqual(
      sms.filter((m) => Date.parse(m.sendDate) >= Date.parse(first.sendDate) && Date.parse(m.sendDate) <= Date.parse(last.sendDate)).map((m) => m.messageId),
    );
    expect(ranged[0]).toMatchObject({ messageId: first.messageId });
  });

  it('takes plain dates as whole days: from the start of its day, to the end of its day, in the time zone asked (UTC by default)', async () => {
    // 2026-01-10 in Auckland (+13:00) ends at 2026-01-10T11:00:00Z, in the middle of the day's messages.
    const aucklandDay = expected(onAucklandDay);
    expect(aucklandDay.length).toBeGreaterThan(0);
    expect(aucklandDay.length).toBeLessThan(expected((m) => m.sendDate.startsWith('2026-01-10')).length);
    const everyChannel = ['SMS', 'RCS', 'WHATSAPP'];
    expect(await walk({ channel: everyChannel, from: '2026-01-10', to: '2026-01-10', timezone: 'Pacific/Auckland' }, 'cursor', 7)).toEqual(aucklandDay);
    expect(await walk({ channel: everyChannel, from: '2026-01-10', to: '2026-01-10' }, 'page', 100)).toEqual(expected((m) => m.sendDate.startsWith('2026-01-10')));
    // A plain date and a date-time mix; the day before holds nothing.
    expect(await walk({ channel: everyChannel, from: '2026-01-09', to: '2026-01-09' }, 'page', 100)).toEqual(expected((m) => m.sendDate.startsWith('2026-01-09')));
    expect(await walk({ channel: 'SMS', from: FROM, to: '2026-03-28' }, 'page', 100)).toEqual(expected((m) => m.channel === Channel.Sms && m.sendDate < '2026-03-29'));
    // Across the switch to summer time in Paris: the day of 2026-03-29 there holds both messages.
    const dst = await walk({ channel: 'SMS', from: '2026-03-29', to: '2026-03-29', timezone: 'Europe/Paris' }, 'page', 100);
    expect(dst.map((item: any) => item.messageId)).toEqual(['dst-before', 'dst-after']);
  });

  it('answers the default page of 20 and an empty page when from is after to', async () => {
    const first = await browse({ channel: 'SMS', from: FROM, to: TO });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ page: 0, limit: 20, hasMore: true });
    expect(first.body.messages).toEqual(expected((m) => m.channel === Channel.Sms).slice(0, 20));
    const reversed = await browse({ channel: 'SMS', from: TO, to: FROM });
    expect(reversed.status).toBe(200);
    expect(reversed.body).toEqual({ messages: [], page: 0, limit: 20, hasMore: false, nextCursor: null });
  });

  it('applies a report that arrived before its message, and never lets an older status overwrite a newer one', async () => {
    const items = await walk({ channel: ['RCS', 'SMS'], from: iso(T0 + 3_000_000), to: iso(T0 + 7_300_000) }, 'cursor', 100);
    const byId = Object.fromEntries(items.map((item: any) => [item.messageId, item]));
    expect(byId['late-1']).toMatchObject({ status: 'DELIVERED', deliveryDate: lateReport.occurredAt });
    expect(byId['older-1']).toMatchObject({ status: 'DELIVERED', deliveryDate: newerReport.occurredAt });
    expect(byId['older-1'].statusDescription).toBeUndefined();
    const kept = await stack.query(`SELECT status FROM delivery_reports WHERE message_id = 'older-1' ORDER BY occurred_at`);
    expect(kept.map((r) => r.status)).toEqual(['SENT', 'DELIVERED']);
  });

  it('changes nothing when the whole event stream is replayed', async () => {
    const snapshot = async () => ({
      messages: await stack.query('SELECT xmin::text, * FROM messages ORDER BY account_id, message_id'),
      reports: await stack.query('SELECT xmin::text, * FROM delivery_reports ORDER BY account_id, message_id, status, occurred_at'),
    });
    const before = await snapshot();
    // In a different order than the first time: reports first, then messages.
    for (const r of [...allReports].reverse()) await publishReport(stack, a.accountId, r);
    // The same report again, its instant written with another offset: the same stored report.
    const inParis = new Date(Date.parse(newerReport.occurredAt) + 3_600_000).toISOString().replace('Z', '+01:00');
    await publishReport(stack, a.accountId, { ...newerReport, occurredAt: inParis });
    for (const m of [...allMessages].reverse()) await publishMessage(stack, a.accountId, m);
    for (const m of bMessages) await publishMessage(stack, b.accountId, m);
    const sentinel = message('replay-done', T0 - 120_000, Channel.Sms);
    await publishMessage(stack, b.accountId, sentinel);
    await waitFor(async () => (await count(stack, 'messages WHERE message_id = $1', ['replay-done'])) === 1);
    await stack.query(`DELETE FROM messages WHERE message_id = 'replay-done'`);
    expect(await snapshot()).toEqual(before);
  });

  it('keeps accounts apart', async () => {
    const items = await walk({ channel: 'SMS', from: FROM, to: TO }, 'page', 100);
    expect(items.map((item: any) => item.messageId)).not.toContain('b-1');
    const theirs = await browse({ channel: 'SMS', from: FROM, to: TO }, b.apiKey);
    expect(theirs.body.messages.map((item: any) => item.messageId)).toEqual(['b-1', 'b-2']);
  });

  describe('cursors', () => {
    const query = { channel: 'SMS', from: FROM, to: TO, limit: 5 };

    it('refuses a tampered cursor, and one used with other filters', async () => {
      const { body } = await browse(query);
      const cursor: string = body.nextCursor;
      const [payload, mac] = cursor.split('.');
      const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), p: 999 })).toString('base64url');
      for (const bad of [`${forged}.${mac}`, `${payload}.${mac.slice(0, -2)}AA`, `${payload}x.${mac}`, 'garbage', '']) {
        const response = await browse({ ...query, cursor: bad });
        expect(response.status).toBe(400);
        expect(response.body.details.map((d: { field: string }) => d.field)).toContain('cursor');
      }
      const others: Array<Record<string, string>> = [{ channel: 'RCS' }, { status: 'SENT' }, { from: '2026-01-02T00:00:00Z' }, { to: '2026-03-01T00:00:00Z' }];
      for (const other of others) {
        const response = await browse({ ...query, ...other, cursor });
        expect(response.status).toBe(400);
        expect(response.body.message).toContain('cursor');
      }
      // The same instants written with another offset are the same query; a new limit is fine.
      const same = await browse({ ...query, from: '2026-01-01T01:00:00+01:00', limit: 3, cursor });
      expect(same.status).toBe(200);
      expect(same.body.page).toBe(1);
    });

    it('refuses page and cursor together', async () => {
      const { body } = await browse(query);
      const response = await browse({ ...query, page: 1, cursor: body.nextCursor });
      expect(response.status).toBe(400);
      expect(response.body.details.map((d: { field: string }) => d.field)).toContain('page');
    });
  });

  describe('bad input', () => {
    const base = { channel: 'SMS', from: FROM, to: TO };
    it.each<[string, Record<string, string | number | string[]>, string]>([
      ['no channel', { from: FROM, to: TO }, 'channel'],
      ['an unknown channel', { ...base, channel: 'FAX' }, 'channel'],
      ['an empty channel', { ...base, channel: '' }, 'channel'],
      ['no from', { channel: 'SMS', to: TO }, 'from'],
      ['no to', { channel: 'SMS', from: FROM }, 'to'],
      ['a from without offset', { ...base, from: '2026-01-01T00:00:00' }, 'from'],
      ['a to that is not on the calendar', { ...base, to: '2026-04-31' }, 'to'],
      ['a to with a time but no offset', { ...base, to: '2026-04-01T00:00' }, 'to'],
      ['an unknown time zone', { ...base, from: '2026-01-01', timezone: 'Mars/Olympus' }, 'timezone'],
      ['a from that is not on the calendar', { ...base, from: '2026-02-30T00:00:00Z' }, 'from'],
      ['an unknown status', { ...base, status: 'READ' }, 'status'],
      ['a limit of 0', { ...base, limit: 0 }, 'limit'],
      ['a limit of 101', { ...base, limit: 101 }, 'limit'],
      ['a limit that is not a number', { ...base, limit: 'ten' }, 'limit'],
      ['a negative page', { ...base, page: -1 }, 'page'],
      ['a fractional page', { ...base, page: 1.5 }, 'page'],
      ['a page beyond 10000', { ...base, page: 10_001 }, 'page'],
      ['an unknown parameter', { ...base, sort: 'desc' }, 'sort'],
      ['a range over 366 days', { ...base, from: '2025-01-01T00:00:00Z', to: '2026-01-03T00:00:00Z' }, 'from'],
    ])('refuses %s, naming the parameter', async (_what, query, field) => {
      const response = await browse(query);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ status: 400, error: 'Bad Request', code: 'VALIDATION_FAILED' });
      expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
      expect(response.body.message).toContain(field);
    });

    it('says the limit of a range that is too long, and accepts one of exactly 366 days', async () => {
      const response = await browse({ ...base, from: '2025-01-01T00:00:00Z', to: '2026-01-03T00:00:00Z' });
      expect(response.body.message).toContain('366 days');
      expect((await browse({ ...base, from: '2025-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' })).status).toBe(200);
    });

    it('takes an offset whose + was not URL-encoded', async () => {
      const response = await stack.http('GET', '/messages/history?channel=SMS&from=2026-01-01T01:00:00+01:00&to=2026-04-01T00:00:00Z&limit=1', { apiKey: a.apiKey });
      expect(response.status).toBe(200);
      expect(response.body.messages).toHaveLength(1);
    });

    it('needs an API key', async () => {
      expect((await browse(base, 'exk_nope')).body).toMatchObject({ status: 401, error: 'Unauthorized', code: 'UNAUTHORIZED' });
      expect((await stack.http('GET', '/messages/history?channel=SMS')).status).toBe(401);
    });
  });

  describe('history.browse over NATS request-reply', () => {
    const subject = () => stack.namespace.subject(accountSubject(Subjects.requests.historyBrowse, a.accountId));
    const request = async (data: unknown) => {
      const reply = await nats.request(subject(), JSON.stringify({ id: 'req-1', pattern: subject(), data }), { timeout: 5000 });
      return JSON.parse(reply.string()) as { response?: any; err?: any };
    };

    it('answers internal callers like the HTTP API', async () => {
      const reply = await request({ accountId: a.accountId, channel: ['WHATSAPP'], from: FROM, to: TO, limit: 100 });
      expect(reply.err).toBeUndefined();
      expect(reply.response.messages).toEqual(expected((m) => m.channel === Channel.WhatsApp));
    });

    it('answers a request that is not JSON with the 400 envelope, and keeps serving', async () => {
      const reply = await nats.request(subject(), 'not json {', { timeout: 5000 });
      expect(JSON.parse(reply.string()).err).toMatchObject({ status: 400, error: 'Bad Request', code: 'VALIDATION_FAILED' });
      const after = await request({ accountId: a.accountId, channel: ['RCS'], from: FROM, to: TO, limit: 1 });
      expect(after.response.messages).toHaveLength(1);
    });

    it('validates the payload with the same rules and answers the error envelope', async () => {
      const missing = await request({ channel: ['SMS'], from: '2026-01-01T00:00:00', to: TO, extra: true });
      expect(missing.err).toMatchObject({ status: 400, error: 'Bad Request', code: 'VALIDATION_FAILED' });
      expect([...new Set(missing.err.details.map((d: { field: string }) => d.field))].sort()).toEqual(['accountId', 'extra', 'from']);
      const long = await request({ accountId: a.accountId, channel: ['SMS'], from: '2020-01-01T00:00:00Z', to: TO });
      expect(long.err).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', message: expect.stringContaining('366 days') });
    });

    it('takes plain dates in the time zone of the request, as over HTTP', async () => {
      const days = { from: '2026-01-10', to: '2026-01-10', timezone: 'Pacific/Auckland' };
      const reply = await request({ accountId: a.accountId, channel: ['SMS', 'RCS', 'WHATSAPP'], ...days, limit: 100 });
      expect(reply.err).toBeUndefined();
      expect(reply.response.messages).toEqual(expected(onAucklandDay));
      expect((await request({ accountId: a.accountId, channel: ['SMS'], from: '2026-01-10', to: '2026-02-30' })).err).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', details: [{ field: 'to' }] });
    });
  });

  it('answers 503 when history-service does not answer', async () => {
    await stack.kill('history-service', 'SIGKILL');
    const started = Date.now();
    const response = await browse({ channel: 'SMS', from: FROM, to: TO });
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ status: 503, error: 'Service Unavailable', code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('retry') });
    expect(Date.now() - started).toBeLessThan(7000);
  }, 20_000);
});

function message(messageId: string, sendMs: number, channel: Channel): TestMessage {
  return {
    messageId,
    channel,
    direction: MessageDirection.Outbound,
    sender: 'ACME',
    destination: '+33699999999',
    body: `body of ${messageId}`,
    status: DeliveryStatus.Sent,
    sendDate: iso(sendMs),
  };
}

/** The same instant written with an offset of `minutes`. */
function isoWithOffset(value: string, minutes: number): string {
  const local = new Date(Date.parse(value) + minutes * 60_000).toISOString().replace('Z', '');
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
