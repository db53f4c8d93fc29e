import { parse } from 'csv-parse/sync';
import { Channel, DeliveryStatus, MessageDirection, MessageStatusEvent, PlatformMessage, Subjects } from '@exports/contracts';
import { spreadsheetSafe } from '@exports/export-files';
import { sleep, TestStack } from '@exports/testing';

/** A message as published on `platform.messages.recorded`: the contract's own payload type. */
export type TestMessage = PlatformMessage;

/** A delivery report as published on `platform.messages.status`, without its account. */
export type TestReport = Omit<MessageStatusEvent, 'accountId'>;

/** Bodies a CSV writer or a spreadsheet could get wrong. */
export const BODIES = [
  'Your code is 4821',
  'Hello, "friend"\nsee you at 10, OK?',
  '=HYPERLINK("http://evil.example")',
  '+1 555 0100: call now',
  '-50% today only',
  '@channel heads up',
  '\tindented with a tab',
  'Emoji 🎉🚀 and ünïcödé',
  '日本語のメッセージです',
  'مرحبا بك في خدمتنا',
  'Привет, мир; строка',
  'नमस्ते, आपका स्वागत है',
  'two\r\nlines with CRLF',
  '+33612345678',
  'comma, at, every, word',
  "it's a 'quote' and a \"double\"",
];

const CHANNELS = [Channel.Sms, Channel.Sms, Channel.Rcs, Channel.WhatsApp];
const SENDERS = ['ACME', 'Shop-FR', '+33612345678'];
const DESTINATIONS = ['+33611111111', '+14155550100', '+447700900123', '+819012345678'];

export const T0 = Date.parse('2026-01-10T08:00:00.000Z');
export const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Account A's history: 48 messages over channels, senders, destinations and statuses,
 * some sharing a sendDate (ordered then by messageId), with delivery reports after them.
 * Ids are not in send order, so sorting by id alone would be wrong.
 */
export function accountAHistory(): { messages: TestMessage[]; reports: TestReport[] } {
  const messages: TestMessage[] = [];
  const reports: TestReport[] = [];
  for (let i = 0; i < 48; i++) {
    // Every fourth message shares its predecessor's sendDate.
    const slot = i - (i % 4 === 3 ? 1 : 0);
    const sendMs = T0 + slot * 7 * 60_000 + (slot % 5);
    const inbound = i % 11 === 5;
    const message: TestMessage = {
      messageId: `m-${String((i * 37) % 97).padStart(3, '0')}-${i}`,
      channel: CHANNELS[i % CHANNELS.length],
      direction: inbound ? MessageDirection.Inbound : MessageDirection.Outbound,
      sender: inbound ? DESTINATIONS[i % DESTINATIONS.length] : SENDERS[i % SENDERS.length],
      destination: inbound ? '+33612345678' : DESTINATIONS[i % DESTINATIONS.length],
      body: BODIES[i % BODIES.length],
      status: inbound ? DeliveryStatus.Received : DeliveryStatus.Sent,
      sendDate: iso(sendMs),
    };
    if (i % 3 === 0) message.customerMessageId = `order-${1000 + i}`;
    if (i % 4 !== 2) message.campaignId = i % 2 ? 'spring-sale' : 'welcome';
    if (i % 5 !== 4) message.cost = [0.045, 0.07, 1.5, 0.000001][i % 4];
    if (i % 6 !== 0) message.parts = 1 + (i % 3);
    messages.push(message);
    if (inbound) continue;
    if (i % 3 === 0) {
      reports.push({ messageId: message.messageId, status: DeliveryStatus.Delivered, occurredAt: iso(sendMs + 30_000) });
    } else if (i % 3 === 1) {
      reports.push({ messageId: message.messageId, status: DeliveryStatus.Sent, occurredAt: iso(sendMs + 5_000) });
      reports.push({ messageId: message.messageId, status: DeliveryStatus.Error, statusDescription: 'Handset unreachable, "retry later"', errorCode: 'E042', occurredAt: iso(sendMs + 45_000) });
    }
  }
  // Around the switch to summer time in Paris (2026-03-29 01:00 UTC).
  for (const [id, at] of [['dst-before', '2026-03-29T00:30:00.000Z'], ['dst-after', '2026-03-29T01:30:00.000Z']] as const) {
    messages.push({ messageId: id, channel: Channel.Sms, direction: MessageDirection.Outbound, sender: 'ACME', destination: '+33611111111', body: `DST ${id}`, status: DeliveryStatus.Sent, sendDate: at });
    reports.push({ messageId: id, status: DeliveryStatus.Delivered, occurredAt: iso(Date.parse(at) + 60_000) });
  }
  return { messages, reports };
}

/** Status, description and delivery date a message must end with: its latest event wins (the data has no ties). */
export function finalState(message: TestMessage, reports: TestReport[]): Pick<TestReport, 'status' | 'statusDescription' | 'errorCode'> & { deliveryDate?: string } {
  const own = reports.filter((r) => r.messageId === message.messageId);
  let state: Pick<TestReport, 'status' | 'statusDescription' | 'errorCode' | 'occurredAt'> = { status: message.status, occurredAt: message.sendDate };
  for (const report of own) if (Date.parse(report.occurredAt) > Date.parse(state.occurredAt)) state = report;
  const delivered = own.filter((r) => r.status === DeliveryStatus.Delivered).map((r) => Date.parse(r.occurredAt));
  return {
    status: state.status,
    ...(state.statusDescription !== undefined ? { statusDescription: state.statusDescription } : {}),
    ...(state.errorCode !== undefined ? { errorCode: state.errorCode } : {}),
    ...(delivered.length ? { deliveryDate: iso(Math.min(...delivered)) } : {}),
  };
}

/** Keyset order: sendDate, then messageId bytewise (ids are ASCII). */
export function inHistoryOrder(messages: TestMessage[]): TestMessage[] {
  return [...messages].sort((a, b) => Date.parse(a.sendDate) - Date.parse(b.sendDate) || (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0));
}

/** The browse item the API must return for a message. */
export function expectedItem(message: TestMessage, reports: TestReport[]): Record<string, unknown> {
  const state = finalState(message, reports);
  return {
    messageId: message.messageId,
    ...(message.customerMessageId !== undefined ? { customerMessageId: message.customerMessageId } : {}),
    channel: message.channel,
    direction: message.direction,
    sender: message.sender,
    destination: message.destination,
    body: message.body,
    status: state.status,
    ...(state.statusDescription !== undefined ? { statusDescription: state.statusDescription } : {}),
    ...(state.errorCode !== undefined ? { errorCode: state.errorCode } : {}),
    sendDate: iso(Date.parse(message.sendDate)),
    ...(state.deliveryDate !== undefined ? { deliveryDate: state.deliveryDate } : {}),
    ...(message.cost !== undefined ? { cost: message.cost } : {}),
    parts: message.parts ?? 1,
  };
}

export const HISTORY_HEADER = [
  'messageId', 'customerMessageId', 'campaignId', 'channel', 'direction', 'sender', 'destination', 'body',
  'status', 'statusDescription', 'errorCode', 'sendDate', 'deliveryDate', 'cost', 'parts',
];

/** ISO-8601 with milliseconds and the offset of `timeZone` at that instant (what the export writes). */
export function isoIn(value: string | undefined, timeZone = 'UTC'): string {
  if (value === undefined) return '';
  const date = new Date(value);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second, date.getUTCMilliseconds());
  const offset = Math.round((local - date.getTime()) / 60_000);
  const sign = offset < 0 ? '-' : '+';
  const hh = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0');
  const mm = String(Math.abs(offset) % 60).padStart(2, '0');
  const ms = String(date.getUTCMilliseconds()).padStart(3, '0');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}.${ms}${sign}${hh}:${mm}`;
}

/** The CSV row of a message in the message-history export. */
export function expectedHistoryRow(message: TestMessage, reports: TestReport[], timeZone = 'UTC'): string[] {
  const state = finalState(message, reports);
  const text = (value?: string) => (value === undefined ? '' : spreadsheetSafe(value));
  return [
    text(message.messageId),
    text(message.customerMessageId),
    text(message.campaignId),
    message.channel,
    message.direction,
    text(message.sender),
    text(message.destination),
    text(message.body),
    state.status,
    text(state.statusDescription),
    text(state.errorCode),
    isoIn(message.sendDate, timeZone),
    isoIn(state.deliveryDate, timeZone),
    message.cost === undefined ? '' : String(message.cost),
    String(message.parts ?? 1),
  ];
}

export async function publishMessage(stack: TestStack, accountId: string, message: TestMessage): Promise<void> {
  await stack.publishFor(accountId, Subjects.platform.messagesRecorded, { accountId, message });
}

export async function publishReport(stack: TestStack, accountId: string, report: TestReport): Promise<void> {
  await stack.publishFor(accountId, Subjects.platform.messagesStatus, { accountId, ...report });
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}

export async function count(stack: TestStack, sql: string, params: unknown[] = []): Promise<number> {
  return (await stack.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params))[0].n;
}

/** Requests an export, waits for COMPLETED and returns the parsed data rows (header checked separately). */
export async function exportRows(stack: TestStack, apiKey: string, path: string, body: object): Promise<{ header: string[]; rows: string[][]; resource: any }> {
  const created = await stack.http('POST', path, { apiKey, body });
  if (created.status !== 202) throw new Error(`export refused: ${created.status} ${JSON.stringify(created.body)}`);
  const done = await stack.waitForExport(apiKey, created.body.exportId);
  if (done.status !== 'COMPLETED') throw new Error(`export ended ${JSON.stringify(done)}`);
  const link = await stack.http('GET', `/exports/${done.exportId}`, { apiKey });
  const file = Buffer.from(await (await fetch(link.body.downloadUrl)).arrayBuffer());
  const [header, ...rows]: string[][] = parse(file);
  if (rows.length !== done.rowCount) throw new Error(`rowCount ${done.rowCount} but ${rows.length} rows in the file`);
  return { header, rows, resource: done };
}
