import { ExportType, MessageHistoryExportFilters } from '@exports/contracts';
import { ExportColumn, ExportSource, Literal, SourceRecord, SourceRows, textArray } from '../export-source';
import { plain, text, timestamp } from './columns';

/** Messages of the account sent in the inclusive range, by sendDate then messageId; `recipient` matches destination. */
export class MessageHistoryExportSource implements ExportSource<MessageHistoryExportFilters> {
  readonly type = ExportType.MessageHistory;
  /** messages_export (account_id, send_date, message_id) gives the ORDER BY. */
  readonly indexOrdered = true;
  readonly columns: readonly ExportColumn[] = [
    text('messageId', 'message_id'),
    text('customerMessageId', 'customer_message_id'),
    text('campaignId', 'campaign_id'),
    plain('channel', 'channel'),
    plain('direction', 'direction'),
    text('sender', 'sender'),
    text('destination', 'destination'),
    text('body', 'body'),
    plain('status', 'status'),
    text('statusDescription', 'status_description'),
    text('errorCode', 'error_code'),
    timestamp('sendDate', 'send_date'),
    timestamp('deliveryDate', 'delivery_date'),
    { name: 'cost', csv: 'trim_scale(cost)::text', json: 'trim_scale(cost)' },
    { name: 'parts', csv: 'parts::text', json: 'parts' },
  ];

  rows(exportRecord: SourceRecord, filters: MessageHistoryExportFilters, literal: Literal): SourceRows {
    const where = [
      `account_id = ${literal(exportRecord.accountId)}::uuid`,
      `send_date >= ${literal(filters.startDateTime)}::timestamptz`,
      `send_date <= ${literal(filters.endDateTime)}::timestamptz`,
    ];
    if (filters.channel?.length) where.push(`channel = ANY(${textArray(filters.channel, literal)})`);
    if (filters.status?.length) where.push(`status = ANY(${textArray(filters.status, literal)})`);
    if (filters.sender !== undefined) where.push(`sender = ${literal(filters.sender)}`);
    if (filters.recipient !== undefined) where.push(`destination = ${literal(filters.recipient)}`);
    return { from: 'messages', where, orderBy: 'send_date, message_id' };
  }
}
