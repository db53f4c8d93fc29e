import { DeliveryReportsExportFilters, ExportType } from '@exports/contracts';
import { ExportColumn, ExportSource, Literal, SourceRecord, SourceRows, textArray } from '../export-source';
import { plain, text, timestamp } from './columns';

/**
 * One row per delivery report of the account, by occurredAt, then messageId (then status, so
 * equal times still sort the same way every run). The date range filters occurredAt; campaign
 * and channel are the message's, whose columns are empty for a report whose message never arrived.
 */
export class DeliveryReportsExportSource implements ExportSource<DeliveryReportsExportFilters> {
  readonly type = ExportType.DeliveryReports;
  readonly columns: readonly ExportColumn[] = [
    text('messageId', 'r.message_id'),
    text('customerMessageId', 'm.customer_message_id'),
    text('campaignId', 'm.campaign_id'),
    plain('channel', 'm.channel'),
    text('sender', 'm.sender'),
    text('destination', 'm.destination'),
    plain('status', 'r.status'),
    text('statusDescription', 'r.status_description'),
    text('errorCode', 'r.error_code'),
    timestamp('sendDate', 'm.send_date'),
    timestamp('occurredAt', 'r.occurred_at'),
  ];

  rows(exportRecord: SourceRecord, filters: DeliveryReportsExportFilters, literal: Literal): SourceRows {
    const where = [`r.account_id = ${literal(exportRecord.accountId)}::uuid`];
    if (filters.startDateTime !== undefined) where.push(`r.occurred_at >= ${literal(filters.startDateTime)}::timestamptz`);
    if (filters.endDateTime !== undefined) where.push(`r.occurred_at <= ${literal(filters.endDateTime)}::timestamptz`);
    if (filters.campaignId !== undefined) where.push(`m.campaign_id = ${literal(filters.campaignId)}`);
    if (filters.channel?.length) where.push(`m.channel = ANY(${textArray(filters.channel, literal)})`);
    if (filters.status?.length) where.push(`r.status = ANY(${textArray(filters.status, literal)})`);
    return {
      from: 'delivery_reports r LEFT JOIN messages m ON m.account_id = r.account_id AND m.message_id = r.message_id',
      where,
      orderBy: 'r.occurred_at, r.message_id, r.status',
    };
  }
}
