import { ExportType, MessageHistoryExportFilters } from '@exports/contracts';
import { ExportEntity } from '@exports/database';
import { isoTimestamp, safeText, selectList } from '@exports/export-files';
import { ExportSource, Literal, textArray } from '@exports/export-pipeline';

/** The documented columns of a message history file, in this order. */
const COLUMNS = [
  ['messageId', safeText('message_id')],
  ['customerMessageId', safeText('customer_message_id')],
  ['campaignId', safeText('campaign_id')],
  ['channel', 'channel'],
  ['direction', 'direction'],
  ['sender', safeText('sender')],
  ['destination', safeText('destination')],
  ['body', safeText('body')],
  ['status', 'status'],
  ['statusDescription', safeText('status_description')],
  ['errorCode', safeText('error_code')],
  ['sendDate', isoTimestamp('send_date')],
  ['deliveryDate', isoTimestamp('delivery_date')],
  ['cost', 'trim_scale(cost)::text'],
  ['parts', 'parts::text'],
] as const;

/** Messages of the account sent in the inclusive range, by sendDate then messageId; `recipient` matches destination. */
export class MessageHistoryExportSource implements ExportSource<MessageHistoryExportFilters> {
  readonly type = ExportType.MessageHistory;
  /** messages_export (account_id, send_date, message_id) gives the ORDER BY. */
  readonly indexOrdered = true;

  query(exportRecord: ExportEntity, filters: MessageHistoryExportFilters, literal: Literal): string {
    const where = [
      `account_id = ${literal(exportRecord.accountId)}::uuid`,
      `send_date >= ${literal(filters.startDateTime)}::timestamptz`,
      `send_date <= ${literal(filters.endDateTime)}::timestamptz`,
    ];
    if (filters.channel?.length) where.push(`channel = ANY(${textArray(filters.channel, literal)})`);
    if (filters.status?.length) where.push(`status = ANY(${textArray(filters.status, literal)})`);
    if (filters.sender !== undefined) where.push(`sender = ${literal(filters.sender)}`);
    if (filters.recipient !== undefined) where.push(`destination = ${literal(filters.recipient)}`);
    return `SELECT ${selectList(COLUMNS)} FROM messages WHERE ${where.join(' AND ')} ORDER BY send_date, message_id`;
  }
}
