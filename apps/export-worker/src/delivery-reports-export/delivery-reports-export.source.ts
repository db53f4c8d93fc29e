import { DeliveryReportsExportFilters, ExportType } from '@exports/contracts';
import { ExportEntity } from '@exports/database';
import { isoTimestamp, safeText, selectList } from '@exports/export-files';
import { ExportSource, Literal, textArray } from '@exports/export-pipeline';

/** The documented columns of a delivery reports file, in this order; message columns are empty for a report whose message never arrived. */
const COLUMNS = [
  ['messageId', safeText('r.message_id')],
  ['customerMessageId', safeText('m.customer_message_id')],
  ['campaignId', safeText('m.campaign_id')],
  ['channel', 'm.channel'],
  ['sender', safeText('m.sender')],
  ['destination', safeText('m.destination')],
  ['status', 'r.status'],
  ['statusDescription', safeText('r.status_description')],
  ['errorCode', safeText('r.error_code')],
  ['sendDate', isoTimestamp('m.send_date')],
  ['occurredAt', isoTimestamp('r.occurred_at')],
] as const;

/**
 * One row per delivery report of the account, by occurredAt, then messageId (then status,
 * so equal times still sort the same way every run). The date range filters occurredAt;
 * campaign and channel are the message's.
 */
export class DeliveryReportsExportSource implements ExportSource<DeliveryReportsExportFilters> {
  readonly type = ExportType.DeliveryReports;

  query(exportRecord: ExportEntity, filters: DeliveryReportsExportFilters, literal: Literal): string {
    const where = [`r.account_id = ${literal(exportRecord.accountId)}::uuid`];
    if (filters.startDateTime !== undefined) where.push(`r.occurred_at >= ${literal(filters.startDateTime)}::timestamptz`);
    if (filters.endDateTime !== undefined) where.push(`r.occurred_at <= ${literal(filters.endDateTime)}::timestamptz`);
    if (filters.campaignId !== undefined) where.push(`m.campaign_id = ${literal(filters.campaignId)}`);
    if (filters.channel?.length) where.push(`m.channel = ANY(${textArray(filters.channel, literal)})`);
    if (filters.status?.length) where.push(`r.status = ANY(${textArray(filters.status, literal)})`);
    return `SELECT ${selectList(COLUMNS)}
      FROM delivery_reports r LEFT JOIN messages m ON m.account_id = r.account_id AND m.message_id = r.message_id
      WHERE ${where.join(' AND ')}
      ORDER BY r.occurred_at, r.message_id, r.status`;
  }
}
