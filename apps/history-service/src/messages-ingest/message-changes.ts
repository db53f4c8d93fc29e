import { MessageRecordedEvent, MessageStatusEvent } from '@exports/contracts';

export type MessageChange = { kind: 'message'; event: MessageRecordedEvent } | { kind: 'report'; event: MessageStatusEvent };

/** The largest cost numeric(14, 6) holds. */
export const MAX_COST = 99_999_999.999999;

/**
 * What a valid payload may still hold that PostgreSQL would refuse, failing the
 * whole batch: NUL characters in text, a cost beyond the column. Throws the reason,
 * which makes the ingest terminate that one event.
 */
export function assertStorable(change: MessageChange): MessageChange {
  const texts =
    change.kind === 'message'
      ? Object.values(change.event.message).filter((value): value is string => typeof value === 'string')
      : [change.event.messageId, change.event.statusDescription, change.event.errorCode].filter((value): value is string => typeof value === 'string');
  if (texts.some((text) => text.includes('\u0000'))) throw new Error('text fields must not contain NUL characters');
  if (change.kind === 'message' && (change.event.message.cost ?? 0) > MAX_COST) {
    throw new Error(`message.cost must not be more than ${MAX_COST}`);
  }
  return change;
}

export interface MessageRows {
  accountIds: string[];
  messageIds: string[];
  customerMessageIds: (string | null)[];
  campaignIds: (string | null)[];
  channels: string[];
  directions: string[];
  senders: string[];
  destinations: string[];
  bodies: string[];
  statuses: string[];
  sendDates: string[];
  costs: (number | null)[];
  parts: number[];
}

export interface ReportRows {
  accountIds: string[];
  messageIds: string[];
  statuses: string[];
  occurredAts: string[];
  statusDescriptions: (string | null)[];
  errorCodes: (string | null)[];
}

export interface Batch {
  messages: MessageRows;
  reports: ReportRows;
  /** Every (account, message) the batch touches, for re-deriving status from the stored reports. */
  touched: { accountIds: string[]; messageIds: string[] };
}

const key = (accountId: string, messageId: string) => `${accountId}\u0000${messageId}`;

/**
 * Turns a batch of changes into column arrays for `unnest(...)` inserts. A message
 * recorded twice keeps its last version (one INSERT ... ON CONFLICT DO UPDATE may not
 * touch a row twice); a report repeated in the batch is kept once. Rows are sorted by
 * key so concurrent writers would lock in the same order.
 */
export function toBatch(changes: MessageChange[]): Batch {
  const messages = new Map<string, MessageRecordedEvent>();
  const reports = new Map<string, MessageStatusEvent>();
  for (const change of changes) {
    if (change.kind === 'message') {
      messages.set(key(change.event.accountId, change.event.message.messageId), change.event);
    } else {
      const { accountId, messageId, status, occurredAt } = change.event;
      const reportKey = `${key(accountId, messageId)}\u0000${status}\u0000${new Date(occurredAt).toISOString()}`;
      if (!reports.has(reportKey)) reports.set(reportKey, change.event);
    }
  }
  const byKey = <T>(map: Map<string, T>) => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, value]) => value);

  const messageRows: MessageRows = {
    accountIds: [], messageIds: [], customerMessageIds: [], campaignIds: [], channels: [], directions: [],
    senders: [], destinations: [], bodies: [], statuses: [], sendDates: [], costs: [], parts: [],
  };
  for (const { accountId, message } of byKey(messages)) {
    messageRows.accountIds.push(accountId);
    messageRows.messageIds.push(message.messageId);
    messageRows.customerMessageIds.push(message.customerMessageId ?? null);
    messageRows.campaignIds.push(message.campaignId ?? null);
    messageRows.channels.push(message.channel);
    messageRows.directions.push(message.direction);
    messageRows.senders.push(message.sender);
    messageRows.destinations.push(message.destination);
    messageRows.bodies.push(message.body);
    messageRows.statuses.push(message.status);
    messageRows.sendDates.push(message.sendDate);
    messageRows.costs.push(message.cost ?? null);
    messageRows.parts.push(message.parts ?? 1);
  }

  const reportRows: ReportRows = { accountIds: [], messageIds: [], statuses: [], occurredAts: [], statusDescriptions: [], errorCodes: [] };
  for (const report of byKey(reports)) {
    reportRows.accountIds.push(report.accountId);
    reportRows.messageIds.push(report.messageId);
    reportRows.statuses.push(report.status);
    reportRows.occurredAts.push(report.occurredAt);
    reportRows.statusDescriptions.push(report.statusDescription ?? null);
    reportRows.errorCodes.push(report.errorCode ?? null);
  }

  const touched = new Map<string, [string, string]>();
  messageRows.accountIds.forEach((accountId, i) => touched.set(key(accountId, messageRows.messageIds[i]), [accountId, messageRows.messageIds[i]]));
  reportRows.accountIds.forEach((accountId, i) => touched.set(key(accountId, reportRows.messageIds[i]), [accountId, reportRows.messageIds[i]]));
  const touchedRows = byKey(touched);
  return {
    messages: messageRows,
    reports: reportRows,
    touched: { accountIds: touchedRows.map(([a]) => a), messageIds: touchedRows.map(([, m]) => m) },
  };
}
