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
  if (change.kind === 'message') {
    const { message } = change.event;
    for (const key in message) {
      const value = message[key as keyof typeof message];
      if (typeof value === 'string' && value.includes('\u0000')) throw new Error('text fields must not contain NUL characters');
    }
    if ((message.cost ?? 0) > MAX_COST) throw new Error(`message.cost must not be more than ${MAX_COST}`);
  } else {
    const { messageId, statusDescription, errorCode } = change.event;
    if ([messageId, statusDescription, errorCode].some((text) => text?.includes('\u0000'))) throw new Error('text fields must not contain NUL characters');
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
  /** The (account, message) pairs the batch touches, repeats possible, for re-deriving status from the stored reports. */
  touched: { accountIds: string[]; messageIds: string[] };
}

const key = (accountId: string, messageId: string) => `${accountId}\u0000${messageId}`;

/**
 * Turns a batch of changes into column arrays for `unnest(...)` statements. A message
 * recorded twice keeps its last version (one INSERT ... ON CONFLICT DO UPDATE may not
 * touch a row twice). Reports are kept as they came: their insert skips what is already
 * stored, repeats in the batch included, and `touched` may repeat a message (its statement
 * takes each once). No order is needed: one batch is written at a time (the ingest lock).
 */
export function toBatch(changes: MessageChange[]): Batch {
  const messages = new Map<string, MessageRecordedEvent>();
  const reportRows: ReportRows = { accountIds: [], messageIds: [], statuses: [], occurredAts: [], statusDescriptions: [], errorCodes: [] };
  for (const change of changes) {
    if (change.kind === 'message') {
      messages.set(key(change.event.accountId, change.event.message.messageId), change.event);
      continue;
    }
    const report = change.event;
    reportRows.accountIds.push(report.accountId);
    reportRows.messageIds.push(report.messageId);
    reportRows.statuses.push(report.status);
    reportRows.occurredAts.push(report.occurredAt);
    reportRows.statusDescriptions.push(report.statusDescription ?? null);
    reportRows.errorCodes.push(report.errorCode ?? null);
  }

  const messageRows: MessageRows = {
    accountIds: [], messageIds: [], customerMessageIds: [], campaignIds: [], channels: [], directions: [],
    senders: [], destinations: [], bodies: [], statuses: [], sendDates: [], costs: [], parts: [],
  };
  for (const { accountId, message } of messages.values()) {
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

  return {
    messages: messageRows,
    reports: reportRows,
    touched: { accountIds: [...messageRows.accountIds, ...reportRows.accountIds], messageIds: [...messageRows.messageIds, ...reportRows.messageIds] },
  };
}
