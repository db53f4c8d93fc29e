import { Channel, DeliveryStatus } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { TestStack } from '@exports/testing';
import {
  accountAHistory,
  count,
  expectedHistoryRow,
  exportRows,
  finalState,
  HISTORY_HEADER,
  inHistoryOrder,
  iso,
  publishMessage,
  publishReport,
  T0,
  TestMessage,
  waitFor,
} from './history-fixtures';

const PATH = '/messages/history/export';
const START = '2026-01-01T00:00:00Z';
const END = '2026-04-01T00:00:00Z';

/** POST /messages/history/export: request → history-service → CSV in S3 → download, compared row by row. */
describe('message history export (e2e)', () => {
  const stack = new TestStack({ apps: ['api-gateway', 'history-service'] });
  let a: CreatedAccount;
  let b: CreatedAccount;
  const { messages, reports } = accountAHistory();

  beforeAll(async () => {
    await stack.start();
    [a, b] = [await stack.createAccount('A'), await stack.createAccount('B')];
    for (const m of messages) await publishMessage(stack, a.accountId, m);
    for (const r of reports) await publishReport(stack, a.accountId, r);
    await publishMessage(stack, b.accountId, { ...messages[0], messageId: 'b-only' });
    await waitFor(async () => (await count(stack, 'messages')) === messages.length + 1 && (await count(stack, 'delivery_reports')) === reports.length);
  }, 120_000);

  afterAll(() => stack.stop(), 60_000);

  const rowsOf = (filter: (m: TestMessage) => boolean, timeZone?: string) =>
    inHistoryOrder(messages.filter(filter)).map((m) => expectedHistoryRow(m, reports, timeZone));
  const within = (start: string, end: string) => (m: TestMessage) => Date.parse(m.sendDate) >= Date.parse(start) && Date.parse(m.sendDate) <= Date.parse(end);

  it('exports every message of the range with the documented columns, row by row', async () => {
    const { header, rows, resource } = await exportRows(stack, a.apiKey, PATH, { startDateTime: START, endDateTime: END });
    expect(header).toEqual(HISTORY_HEADER);
    expect(rows).toEqual(rowsOf(() => true));
    expect(resource).toMatchObject({ type: 'MESSAGE_HISTORY', rowCount: messages.length, filters: { startDateTime: START, endDateTime: END } });
    expect(resource.fileName).toMatch(/^message-history-\d{8}T\d{6}Z-[0-9a-f]{8}\.csv$/);
    // Spreadsheet safety and exact text: formulas open as text, the rest is byte for byte.
    const bodies = rows.map((row) => row[7]);
    expect(bodies).toContain(`'=HYPERLINK("http://evil.example")`);
    expect(bodies).toContain('Hello, "friend"\nsee you at 10, OK?');
    expect(bodies).toContain('two\r\nlines with CRLF');
    expect(bodies).toContain('+33612345678');
    expect(rows.map((row) => row[13])).toEqual(expect.arrayContaining(['0.045', '1.5', '0.000001', '']));
  });

  it.each<[string, Record<string, unknown>, (m: TestMessage) => boolean]>([
    ['one channel', { channel: 'RCS' }, (m) => m.channel === Channel.Rcs],
    ['several channels', { channel: ['RCS', 'WHATSAPP'] }, (m) => m.channel !== Channel.Sms],
    ['status', { status: ['ERROR', 'RECEIVED'] }, (m) => ['ERROR', 'RECEIVED'].includes(finalState(m, reports).status)],
    ['sender', { sender: 'Shop-FR' }, (m) => m.sender === 'Shop-FR'],
    ['recipient', { recipient: '+14155550100' }, (m) => m.destination === '+14155550100'],
    ['every filter at once', { channel: 'SMS', status: 'DELIVERED', sender: 'ACME', recipient: '+33611111111' },
      (m) => m.channel === Channel.Sms && finalState(m, reports).status === DeliveryStatus.Delivered && m.sender === 'ACME' && m.destination === '+33611111111'],
  ])('filters by %s', async (_what, filters, keep) => {
    const expected = rowsOf((m) => within(START, END)(m) && keep(m));
    expect(expected.length).toBeGreaterThan(0);
    const { rows } = await exportRows(stack, a.apiKey, PATH, { startDateTime: START, endDateTime: END, ...filters });
    expect(rows).toEqual(expected);
  });

  it('takes both bounds inclusively, in any offset', async () => {
    const ordered = inHistoryOrder(messages);
    const [first, last] = [ordered[5], ordered[20]];
    const start = new Date(first.sendDate).toISOString().replace('Z', '+00:00');
    const end = new Date(Date.parse(last.sendDate) - 3_600_000).toISOString().replace(/\.(\d{3})Z$/, '.$1-01:00');
    const { rows } = await exportRows(stack, a.apiKey, PATH, { startDateTime: start, endDateTime: end });
    expect(rows).toEqual(rowsOf(within(first.sendDate, last.sendDate)));
    expect(rows[0][0]).toBe(first.messageId);
  });

  it('renders every timestamp in the requested time zone, across a DST change', async () => {
    const { rows } = await exportRows(stack, a.apiKey, PATH, { startDateTime: '2026-03-29T00:00:00Z', endDateTime: '2026-03-29T23:59:59Z', timezone: 'Europe/Paris' });
    expect(rows.map((row) => [row[0], row[11], row[12]])).toEqual([
      ['dst-before', '2026-03-29T01:30:00.000+01:00', '2026-03-29T01:31:00.000+01:00'],
      ['dst-after', '2026-03-29T03:30:00.000+02:00', '2026-03-29T03:31:00.000+02:00'],
    ]);
    const ny = await exportRows(stack, a.apiKey, PATH, { startDateTime: iso(T0), endDateTime: iso(T0 + 3_600_000), timezone: 'America/New_York' });
    expect(ny.rows).toEqual(rowsOf(within(iso(T0), iso(T0 + 3_600_000)), 'America/New_York'));
    // 2026-01-10T08:00:00Z is 03:00 in New York (EST, -05:00).
    expect(ny.rows[0][11]).toBe('2026-01-10T03:00:00.000-05:00');
  });

  it('takes plain dates as whole days in the request time zone, and keeps the date-times they stand for', async () => {
    // 2026-01-10 in Auckland (+13:00) ends at 2026-01-10T11:00:00Z, in the middle of the day's messages.
    const auckland = await exportRows(stack, a.apiKey, PATH, { startDateTime: '2026-01-10', endDateTime: '2026-01-10', timezone: 'Pacific/Auckland' });
    const onTheDay = within('2026-01-09T11:00:00.000Z', '2026-01-10T10:59:59.999Z');
    expect(auckland.rows).toEqual(rowsOf(onTheDay, 'Pacific/Auckland'));
    expect(auckland.rows.length).toBeGreaterThan(0);
    expect(auckland.rows.length).toBeLessThan(rowsOf(within('2026-01-10T00:00:00Z', '2026-01-10T23:59:59.999Z')).length);
    expect(auckland.resource.filters).toEqual({ startDateTime: '2026-01-10T00:00:00.000+13:00', endDateTime: '2026-01-10T23:59:59.999999+13:00' });
    // The day of the switch to summer time in Paris: its start at +01:00, its end at +02:00.
    const paris = await exportRows(stack, a.apiKey, PATH, { startDateTime: '2026-03-29', endDateTime: '2026-03-29', timezone: 'Europe/Paris' });
    expect(paris.rows.map((row) => row[0])).toEqual(['dst-before', 'dst-after']);
    expect(paris.resource.filters).toEqual({ startDateTime: '2026-03-29T00:00:00.000+01:00', endDateTime: '2026-03-29T23:59:59.999999+02:00' });
    // Without a time zone the days are UTC ones; a plain date and a date-time mix.
    const utc = await exportRows(stack, a.apiKey, PATH, { startDateTime: START, endDateTime: '2026-01-10' });
    expect(utc.rows).toEqual(rowsOf(within(START, '2026-01-10T23:59:59.999Z')));
    expect(utc.resource.filters).toEqual({ startDateTime: START, endDateTime: '2026-01-10T23:59:59.999999+00:00' });
  });

  it('writes a header-only file when nothing matches, and never another account\'s messages', async () => {
    const { header, rows, resource } = await exportRows(stack, b.apiKey, PATH, { startDateTime: START, endDateTime: END, channel: 'RCS' });
    expect(header).toEqual(HISTORY_HEADER);
    expect(rows).toEqual([]);
    expect(resource.rowCount).toBe(0);
    const theirs = await exportRows(stack, b.apiKey, PATH, { startDateTime: START, endDateTime: END });
    expect(theirs.rows.map((row) => row[0])).toEqual(['b-only']);
  });

  it('gives the same export for the same Idempotency-Key', async () => {
    const body = { startDateTime: START, endDateTime: END, sender: 'ACME' };
    const headers = { 'Idempotency-Key': `history-${stack.id}` };
    const first = await stack.http('POST', PATH, { apiKey: a.apiKey, body, headers });
    const again = await stack.http('POST', PATH, { apiKey: a.apiKey, body, headers });
    expect([first.status, again.status]).toEqual([202, 200]);
    expect(again.body.exportId).toBe(first.body.exportId);
    await stack.waitForExport(a.apiKey, first.body.exportId);
  });

  describe('bad input', () => {
    const exportCount = () => count(stack, 'exports');
    const valid = { startDateTime: START, endDateTime: END };

    it.each<[string, Record<string, unknown>, string[], string]>([
      ['no startDateTime', { endDateTime: END }, ['startDateTime'], 'startDateTime'],
      ['no endDateTime', { startDateTime: START }, ['endDateTime'], 'endDateTime'],
      ['a date without offset', { ...valid, startDateTime: '2026-01-01T00:00:00' }, ['startDateTime'], 'startDateTime'],
      ['a date that is not on the calendar', { ...valid, endDateTime: '2026-02-29' }, ['endDateTime'], 'endDateTime'],
      ['a date with a time but no offset', { ...valid, endDateTime: '2026-04-01T00:00' }, ['endDateTime'], 'endDateTime'],
      ['a start day after the end day', { startDateTime: '2026-04-02', endDateTime: '2026-04-01' }, ['endDateTime'], 'must not be before'],
      ['367 whole days', { startDateTime: '2025-01-01', endDateTime: '2026-01-02' }, ['startDateTime', 'endDateTime'], '366 days'],
      ['a start after the end', { startDateTime: END, endDateTime: START }, ['endDateTime'], 'must not be before'],
      ['a range over the limit', { startDateTime: '2025-01-01T00:00:00Z', endDateTime: '2026-01-03T00:00:00Z' }, ['startDateTime', 'endDateTime'], '366 days'],
      ['an unknown channel', { ...valid, channel: 'FAX' }, ['channel'], 'channel'],
      ['an empty channel list', { ...valid, channel: [] }, ['channel'], 'channel'],
      ['an unknown status', { ...valid, status: ['SENT', 'READ'] }, ['status'], 'status'],
      ['an empty sender', { ...valid, sender: '' }, ['sender'], 'sender'],
      ['a recipient that is not text', { ...valid, recipient: 33612345678 }, ['recipient'], 'recipient'],
      ['an unknown time zone', { ...valid, timezone: 'Mars/Olympus' }, ['timezone'], 'timezone'],
      ['an unknown field', { ...valid, campaignId: 'x' }, ['campaignId'], 'campaignId'],
    ])('refuses %s, writing nothing', async (_what, body, fields, says) => {
      const before = await exportCount();
      const response = await stack.http('POST', PATH, { apiKey: a.apiKey, body });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ status: 400, error: 'Bad Request', code: 'VALIDATION_FAILED' });
      expect([...new Set(response.body.details.map((d: { field: string }) => d.field))].sort()).toEqual([...fields].sort());
      for (const field of fields) expect(response.body.message).toContain(field);
      expect(response.body.message).toContain(says);
      expect(await exportCount()).toBe(before);
    });

    it('accepts a range of exactly the limit, and as many whole days', async () => {
      const response = await stack.http('POST', PATH, { apiKey: b.apiKey, body: { startDateTime: '2025-01-01T00:00:00Z', endDateTime: '2026-01-02T00:00:00Z' } });
      expect(response.status).toBe(202);
      await stack.waitForExport(b.apiKey, response.body.exportId);
      const days = await stack.http('POST', PATH, { apiKey: b.apiKey, body: { startDateTime: '2025-01-01', endDateTime: '2026-01-01' } });
      expect(days.status).toBe(202);
      expect(await stack.waitForExport(b.apiKey, days.body.exportId)).toMatchObject({ status: 'COMPLETED' });
    });
  });
});
