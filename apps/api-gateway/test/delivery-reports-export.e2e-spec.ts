import { parse } from 'csv-parse/sync';
import { Channel, DeliveryStatus, MessageDirection, MessageStatusEvent, PlatformMessage, Subjects } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { spreadsheetSafe } from '@exports/export-files';
import { csvCellOf, downloadExport, jsonLineObjects, sleep, TestStack } from '@exports/testing';

const PATH = '/exports/delivery-reports';
const HEADER = ['messageId', 'customerMessageId', 'campaignId', 'channel', 'sender', 'destination', 'status', 'statusDescription', 'errorCode', 'sendDate', 'occurredAt'];

/** The payloads published on `platform.messages.recorded` and `platform.messages.status` (without the account). */
type Message = PlatformMessage;
type Report = Omit<MessageStatusEvent, 'accountId'>;

/**
 * POST /exports/delivery-reports: reports ingested by history-service, exported by
 * export-worker, one CSV row per report, compared row by row with what was published.
 */
describe('delivery reports export (e2e)', () => {
  const stack = new TestStack({ apps: ['api-gateway', 'history-service', 'export-worker'] });
  let a: CreatedAccount;
  let b: CreatedAccount;

  const D0 = Date.parse('2026-02-01T09:00:00.000Z');
  const at = (minutes: number) => new Date(D0 + minutes * 60_000).toISOString();
  const messages: Message[] = [];
  const reports: Report[] = [];
  const channels = [Channel.Sms, Channel.Rcs, Channel.WhatsApp];
  for (let i = 0; i < 12; i++) {
    const messageId = `dr-${String((i * 7) % 12).padStart(2, '0')}-${i}`;
    const sendMinutes = i * 480; // every 8 hours, over four days
    messages.push({
      messageId,
      ...(i % 2 ? { customerMessageId: `cust-${i}` } : {}),
      ...(i % 4 === 3 ? {} : { campaignId: i % 3 === 0 ? 'welcome' : 'spring-sale' }),
      channel: channels[i % 3],
      direction: MessageDirection.Outbound,
      sender: i % 2 ? 'ACME' : '+33612345678',
      destination: ['+33611111111', '+14155550100', '+447700900123'][i % 3],
      body: `message ${i}, "quoted"`,
      status: DeliveryStatus.Sent,
      sendDate: at(sendMinutes),
    });
    reports.push({ messageId, status: DeliveryStatus.Sent, occurredAt: at(sendMinutes + 1) });
    if (i % 3 === 2) {
      reports.push({ messageId, status: DeliveryStatus.Error, statusDescription: '=cmd|"/c calc"!A1, rejected', errorCode: '-32', occurredAt: at(sendMinutes + 5) });
    } else {
      reports.push({ messageId, status: DeliveryStatus.Delivered, statusDescription: 'Delivered to handset', occurredAt: at(sendMinutes + 5) });
    }
  }
  // Equal times: ordered by messageId, then status.
  reports.push({ messageId: messages[1].messageId, status: DeliveryStatus.Unknown, occurredAt: at(600) });
  reports.push({ messageId: messages[0].messageId, status: DeliveryStatus.Expired, occurredAt: at(600) });
  reports.push({ messageId: messages[0].messageId, status: DeliveryStatus.Unknown, occurredAt: at(600) });
  // A report whose message never comes: its message columns stay empty.
  reports.push({ messageId: 'ghost-1', status: DeliveryStatus.Delivered, occurredAt: at(700) });
  // Around the start of daylight saving time in New York (2026-03-08 07:00 UTC).
  const dst: Message = { ...messages[0], messageId: 'dst-1', campaignId: 'dst', sendDate: '2026-03-08T06:00:00.000Z' };
  messages.push(dst);
  reports.push({ messageId: 'dst-1', status: DeliveryStatus.Sent, occurredAt: '2026-03-08T06:30:00.000Z' });
  reports.push({ messageId: 'dst-1', status: DeliveryStatus.Delivered, occurredAt: '2026-03-08T07:30:00.000Z' });

  const byId = new Map(messages.map((m) => [m.messageId, m]));
  const ordered = [...reports].sort(
    (x, y) => Date.parse(x.occurredAt) - Date.parse(y.occurredAt) || compare(x.messageId, y.messageId) || compare(x.status, y.status),
  );
  const expectedRows = (keep: (r: Report, m?: Message) => boolean, timeZone = 'UTC') =>
    ordered.filter((r) => keep(r, byId.get(r.messageId))).map((r) => row(r, byId.get(r.messageId), timeZone));

  beforeAll(async () => {
    await stack.start();
    [a, b] = [await stack.createAccount('A'), await stack.createAccount('B')];
    // Reports first for half of them: they are kept and joined once the message arrives.
    for (const r of reports.slice(0, 10)) await stack.publishFor(a.accountId, Subjects.platform.messagesStatus, { accountId: a.accountId, ...r });
    for (const m of messages) await stack.publishFor(a.accountId, Subjects.platform.messagesRecorded, { accountId: a.accountId, message: m });
    for (const r of reports.slice(10)) await stack.publishFor(a.accountId, Subjects.platform.messagesStatus, { accountId: a.accountId, ...r });
    await stack.publishFor(b.accountId, Subjects.platform.messagesRecorded, { accountId: b.accountId, message: { ...messages[0], messageId: 'b-1' } });
    await stack.publishFor(b.accountId, Subjects.platform.messagesStatus, { accountId: b.accountId, messageId: 'b-1', status: 'DELIVERED', occurredAt: at(10) });
    await waitFor(async () => (await count('messages')) === messages.length + 1 && (await count('delivery_reports')) === reports.length + 1);
  }, 120_000);

  afterAll(() => stack.stop(), 60_000);

  const count = async (table: string) => (await stack.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n as number;

  it('exports one row per report of a campaign, in order, with the documented columns', async () => {
    const { header, rows, resource } = await exportRows(a, { campaignId: 'spring-sale' });
    expect(header).toEqual(HEADER);
    expect(rows).toEqual(expectedRows((_r, m) => m?.campaignId === 'spring-sale'));
    expect(rows.length).toBeGreaterThan(8);
    expect(resource).toMatchObject({ type: 'DELIVERY_REPORTS', filters: { campaignId: 'spring-sale' }, rowCount: rows.length });
    expect(resource.fileName).toMatch(/^delivery-reports-\d{8}T\d{6}Z-[0-9a-f]{8}\.csv$/);
    // Formula-like cells open as text; a phone number stays a phone number.
    expect(rows.map((r) => r[7])).toContain(`'=cmd|"/c calc"!A1, rejected`);
    expect(rows.map((r) => r[8])).toContain(`'-32`);
    expect(rows.map((r) => r[4])).toContain('+33612345678');
  });

  it('exports the reports of a date range, including one whose message never arrived', async () => {
    const [start, end] = [at(600), at(1500)];
    const { rows } = await exportRows(a, { startDateTime: start, endDateTime: end });
    const inRange = (r: Report) => Date.parse(r.occurredAt) >= Date.parse(start) && Date.parse(r.occurredAt) <= Date.parse(end);
    expect(rows).toEqual(expectedRows(inRange));
    // The three reports at 600 minutes, by messageId then status; the ghost with empty message columns.
    expect(rows.slice(0, 3).map((r) => [r[0], r[6]])).toEqual([
      [messages[0].messageId, 'EXPIRED'],
      [messages[0].messageId, 'UNKNOWN'],
      [messages[1].messageId, 'UNKNOWN'],
    ].sort((x, y) => compare(x[0], y[0]) || compare(x[1], y[1])));
    expect(rows.find((r) => r[0] === 'ghost-1')).toEqual(['ghost-1', '', '', '', '', '', 'DELIVERED', '', '', '', isoIn(at(700))]);
  });

  it('jsonl.gz: the same reports as typed JSON, the same cells as the CSV, nulls for a message never recorded', async () => {
    const range = { startDateTime: at(600), endDateTime: at(1500) };
    const { rows } = await exportRows(a, range);
    const created = await stack.http('POST', PATH, { apiKey: a.apiKey, body: { ...range, format: 'jsonl.gz' } });
    expect(created.status).toBe(202);
    expect((await stack.waitForExport(a.apiKey, created.body.exportId)).status).toBe('COMPLETED');
    const { files } = await downloadExport(stack, a.apiKey, created.body.exportId);
    const objects = jsonLineObjects(files[0].text);
    expect(objects.map((object) => Object.keys(object))).toEqual(rows.map(() => HEADER));
    expect(objects.map((object) => HEADER.map((name) => csvCellOf(object[name])))).toEqual(rows);
    expect(objects.find((object) => object.messageId === 'ghost-1')).toMatchObject({ campaignId: null, channel: null, sendDate: null, status: 'DELIVERED' });
  });

  it('takes plain dates as whole days in the request time zone, and echoes the date-times they stand for', async () => {
    // 2026-02-01 in New York (-05:00) runs from 05:00 UTC that day to 05:00 UTC the next: it holds reports of 2026-02-02 UTC too.
    const { rows, resource } = await exportRows(a, { startDateTime: '2026-02-01', endDateTime: '2026-02-01', timezone: 'America/New_York' });
    const [start, end] = [Date.parse('2026-02-01T05:00:00Z'), Date.parse('2026-02-02T05:00:00Z')];
    const expected = expectedRows((r) => Date.parse(r.occurredAt) >= start && Date.parse(r.occurredAt) < end, 'America/New_York');
    expect(expected.some((r) => r[10].startsWith('2026-02-01T2'))).toBe(true);
    expect(rows).toEqual(expected);
    expect(resource.filters).toEqual({ startDateTime: '2026-02-01T00:00:00.000-05:00', endDateTime: '2026-02-01T23:59:59.999999-05:00' });
    // Without a time zone, the day is the UTC one.
    const utc = await exportRows(a, { startDateTime: '2026-02-01', endDateTime: '2026-02-01' });
    expect(utc.rows).toEqual(expectedRows((r) => r.occurredAt.startsWith('2026-02-01')));
    expect(utc.resource.filters).toEqual({ startDateTime: '2026-02-01T00:00:00.000+00:00', endDateTime: '2026-02-01T23:59:59.999999+00:00' });
    expect(utc.rows.length).toBeLessThan(rows.length);
  });

  it.each<[string, Record<string, unknown>, (r: Report, m?: Message) => boolean]>([
    ['channel', { channel: ['RCS', 'WHATSAPP'] }, (_r, m) => m !== undefined && m.channel !== Channel.Sms],
    ['status', { status: 'DELIVERED' }, (r) => r.status === DeliveryStatus.Delivered],
    ['campaign and range together', { campaignId: 'welcome', startDateTime: at(0), endDateTime: at(2000) },
      (r, m) => m?.campaignId === 'welcome' && Date.parse(r.occurredAt) <= D0 + 2000 * 60_000],
    ['campaign and a lower bound only', { campaignId: 'welcome', startDateTime: at(1000) }, (r, m) => m?.campaignId === 'welcome' && Date.parse(r.occurredAt) >= D0 + 1000 * 60_000],
  ])('filters by %s', async (_what, filters, keep) => {
    const body = 'campaignId' in filters ? filters : { startDateTime: at(-60), endDateTime: at(10_000), ...filters };
    const expected = expectedRows((r, m) => Date.parse(r.occurredAt) < Date.parse('2026-03-01T00:00:00Z') && keep(r, m));
    expect(expected.length).toBeGreaterThan(0);
    const { rows } = await exportRows(a, body);
    expect(rows).toEqual(expected);
  });

  it('renders timestamps in the requested time zone, across a DST change', async () => {
    const { rows } = await exportRows(a, { campaignId: 'dst', timezone: 'America/New_York' });
    expect(rows.map((r) => [r[6], r[9], r[10]])).toEqual([
      ['SENT', '2026-03-08T01:00:00.000-05:00', '2026-03-08T01:30:00.000-05:00'],
      ['DELIVERED', '2026-03-08T01:00:00.000-05:00', '2026-03-08T03:30:00.000-04:00'],
    ]);
    const kolkata = await exportRows(a, { campaignId: 'welcome', timezone: 'Asia/Kolkata' });
    expect(kolkata.rows).toEqual(expectedRows((_r, m) => m?.campaignId === 'welcome', 'Asia/Kolkata'));
    expect(kolkata.rows[0][10]).toMatch(/\+05:30$/);
  });

  it("never exports another account's reports; an empty result is a header-only file", async () => {
    const { rows } = await exportRows(b, { startDateTime: at(-60), endDateTime: at(10_000) });
    expect(rows.map((r) => r[0])).toEqual(['b-1']);
    const none = await exportRows(b, { campaignId: 'spring-sale' });
    expect(none.header).toEqual(HEADER);
    expect(none.rows).toEqual([]);
  });

  describe('bad input', () => {
    const range = { startDateTime: '2026-02-01T00:00:00Z', endDateTime: '2026-02-28T00:00:00Z' };
    it.each<[string, Record<string, unknown>, string[], string]>([
      ['no campaign and no dates', {}, ['campaignId', 'startDateTime', 'endDateTime'], 'campaignId, or both startDateTime and endDateTime'],
      ['a start date only', { startDateTime: range.startDateTime }, ['campaignId', 'endDateTime'], 'both startDateTime and endDateTime'],
      ['an end date only', { endDateTime: range.endDateTime }, ['campaignId', 'startDateTime'], 'both startDateTime and endDateTime'],
      ['a start after the end', { startDateTime: range.endDateTime, endDateTime: range.startDateTime }, ['endDateTime'], 'must not be before'],
      ['a range over the limit', { startDateTime: '2024-01-01T00:00:00Z', endDateTime: '2026-01-01T00:00:00Z' }, ['startDateTime', 'endDateTime'], '366 days'],
      ['a date without offset', { ...range, startDateTime: '2026-02-01T00:00:00' }, ['startDateTime'], 'startDateTime'],
      ['a date that is not on the calendar', { ...range, endDateTime: '2026-02-30' }, ['endDateTime'], 'endDateTime'],
      ['a date with a time but no offset', { ...range, endDateTime: '2026-02-28T00:00' }, ['endDateTime'], 'endDateTime'],
      ['an empty campaignId', { campaignId: '' }, ['campaignId'], 'campaignId'],
      ['an unknown channel', { ...range, channel: 'PIGEON' }, ['channel'], 'channel'],
      ['an unknown status', { ...range, status: ['DELIVERED', 'LOST'] }, ['status'], 'status'],
      ['an unknown time zone', { ...range, timezone: 'Europe/Atlantis' }, ['timezone'], 'timezone'],
      ['an unknown field', { ...range, sender: 'ACME' }, ['sender'], 'sender'],
    ])('refuses %s, writing nothing', async (_what, body, fields, says) => {
      const before = await count('exports');
      const response = await stack.http('POST', PATH, { apiKey: a.apiKey, body });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ status: 400, error: 'Bad Request', code: 'VALIDATION_FAILED' });
      expect([...new Set(response.body.details.map((d: { field: string }) => d.field))].sort()).toEqual([...fields].sort());
      expect(response.body.message).toContain(says);
      expect(await count('exports')).toBe(before);
    });

    it('says the configured limit', async () => {
      const response = await stack.http('POST', PATH, { apiKey: a.apiKey, body: { startDateTime: '2025-01-01T00:00:00Z', endDateTime: '2026-01-03T00:00:00Z' } });
      expect(response.body.message).toBe('The request is not valid: startDateTime and endDateTime must be at most 366 days apart');
    });

    it('needs an API key', async () => {
      expect((await stack.http('POST', PATH, { body: { campaignId: 'x' } })).body).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    });
  });

  async function exportRows(account: CreatedAccount, body: object): Promise<{ header: string[]; rows: string[][]; resource: any }> {
    const created = await stack.http('POST', PATH, { apiKey: account.apiKey, body });
    expect(created.status).toBe(202);
    const done = await stack.waitForExport(account.apiKey, created.body.exportId);
    expect(done.status).toBe('COMPLETED');
    const link = await stack.http('GET', `/exports/${done.exportId}`, { apiKey: account.apiKey });
    const [header, ...rows]: string[][] = parse(Buffer.from(await (await fetch(link.body.downloadUrl)).arrayBuffer()));
    expect(rows).toHaveLength(done.rowCount);
    return { header, rows, resource: done };
  }
});

function row(report: Report, message: Message | undefined, timeZone: string): string[] {
  const text = (value?: string) => (value === undefined ? '' : spreadsheetSafe(value));
  return [
    text(report.messageId),
    text(message?.customerMessageId),
    text(message?.campaignId),
    message?.channel ?? '',
    text(message?.sender),
    text(message?.destination),
    report.status,
    text(report.statusDescription),
    text(report.errorCode),
    message ? isoIn(message.sendDate, timeZone) : '',
    isoIn(report.occurredAt, timeZone),
  ];
}

function compare(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** ISO-8601 with milliseconds and the offset of `timeZone` at that instant, as the export writes it. */
function isoIn(value: string, timeZone = 'UTC'): string {
  const date = new Date(value);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  const offset = Math.round((local - Math.floor(date.getTime() / 1000) * 1000) / 60_000);
  const abs = Math.abs(offset);
  const ms = String(date.getUTCMilliseconds()).padStart(3, '0');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}.${ms}${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}
