import { Injectable } from '@nestjs/common';
import { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { DeliveryStatus } from '@exports/contracts';
import { pgArray } from '@exports/database';
import { Batch, MessageChange, toBatch } from './message-changes';

/** One writer at a time across instances: a report and its message in two concurrent batches would each miss the other. */
const INGEST_LOCK = 7_422_101;

/**
 * When two statuses carry the same time, the one further along wins, so the outcome
 * does not depend on the order events arrive in.
 */
const STATUS_RANK: Record<DeliveryStatus, number> = {
  [DeliveryStatus.Unknown]: 0,
  [DeliveryStatus.Sent]: 1,
  [DeliveryStatus.Received]: 2,
  [DeliveryStatus.Expired]: 3,
  [DeliveryStatus.Error]: 4,
  [DeliveryStatus.Delivered]: 5,
};

function rank(expression: string): string {
  return `(CASE ${expression} ${Object.entries(STATUS_RANK).map(([status, value]) => `WHEN '${status}' THEN ${value}`).join(' ')} ELSE 0 END)`;
}

/** (at, status) is later than the stored (status_at, status). */
function isNewer(at: string, status: string, stored: string): string {
  return `(${at} > ${stored}.status_at OR (${at} = ${stored}.status_at AND ${rank(status)} > ${rank(`${stored}.status`)}))`;
}

const CONTENT = ['customer_message_id', 'campaign_id', 'channel', 'direction', 'sender', 'destination', 'body', 'send_date', 'cost', 'parts'];

const INSERT_REPORTS = `
  INSERT INTO delivery_reports (account_id, message_id, status, occurred_at, status_description, error_code)
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[])
  ON CONFLICT DO NOTHING`;

// The recorded status is the status at send time; content follows the latest record.
// Rows that would not change are not rewritten, so a replay writes nothing.
const EXCLUDED_IS_NEWER = isNewer('EXCLUDED.status_at', 'EXCLUDED.status', 'messages');
const UPSERT_MESSAGES = `
  INSERT INTO messages (account_id, message_id, customer_message_id, campaign_id, channel, direction, sender, destination, body,
                        status, status_at, send_date, cost, parts)
  SELECT a, m, cm, ca, ch, d, s, de, b, st, sd, sd, co, p
  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
              $10::text[], $11::timestamptz[], $12::numeric[], $13::int[]) AS t(a, m, cm, ca, ch, d, s, de, b, st, sd, co, p)
  ON CONFLICT (account_id, message_id) DO UPDATE SET
    ${CONTENT.map((column) => `${column} = EXCLUDED.${column}`).join(', ')},
    status = CASE WHEN ${EXCLUDED_IS_NEWER} THEN EXCLUDED.status ELSE messages.status END,
    status_description = CASE WHEN ${EXCLUDED_IS_NEWER} THEN NULL ELSE messages.status_description END,
    error_code = CASE WHEN ${EXCLUDED_IS_NEWER} THEN NULL ELSE messages.error_code END,
    status_at = CASE WHEN ${EXCLUDED_IS_NEWER} THEN EXCLUDED.status_at ELSE messages.status_at END
  WHERE (${CONTENT.map((c) => `messages.${c}`).join(', ')}) IS DISTINCT FROM (${CONTENT.map((c) => `EXCLUDED.${c}`).join(', ')})
     OR ${EXCLUDED_IS_NEWER}`;

// Status and delivery date follow the stored reports, whichever order they and the message came in.
// LATERAL lookups per touched message keep to the primary key (account_id, message_id, status,
// occurred_at) whatever the table's statistics say: a batch costs the same on a small or a huge table.
const REPORT_IS_NEWER = isNewer('n.occurred_at', 'n.status', 'm');
const APPLY_REPORTS = `
  WITH touched AS (
    SELECT DISTINCT account_id, message_id FROM unnest($1::uuid[], $2::text[]) AS t(account_id, message_id)
  ), n AS (
    SELECT t.account_id, t.message_id, latest.status, latest.occurred_at, latest.status_description, latest.error_code, delivered.delivered_at
    FROM touched t
    LEFT JOIN LATERAL (
      SELECT r.status, r.occurred_at, r.status_description, r.error_code FROM delivery_reports r
      WHERE r.account_id = t.account_id AND r.message_id = t.message_id
      ORDER BY r.occurred_at DESC, ${rank('r.status')} DESC LIMIT 1
    ) latest ON true
    LEFT JOIN LATERAL (
      SELECT min(r.occurred_at) AS delivered_at FROM delivery_reports r
      WHERE r.account_id = t.account_id AND r.message_id = t.message_id AND r.status = '${DeliveryStatus.Delivered}'
    ) delivered ON true
    WHERE latest.occurred_at IS NOT NULL
  )
  UPDATE messages m SET
    status = CASE WHEN ${REPORT_IS_NEWER} THEN n.status ELSE m.status END,
    status_description = CASE WHEN ${REPORT_IS_NEWER} THEN n.status_description ELSE m.status_description END,
    error_code = CASE WHEN ${REPORT_IS_NEWER} THEN n.error_code ELSE m.error_code END,
    status_at = CASE WHEN ${REPORT_IS_NEWER} THEN n.occurred_at ELSE m.status_at END,
    delivery_date = coalesce(n.delivered_at, m.delivery_date)
  FROM n
  WHERE m.account_id = n.account_id AND m.message_id = n.message_id
    AND (${REPORT_IS_NEWER} OR (n.delivered_at IS NOT NULL AND m.delivery_date IS DISTINCT FROM n.delivered_at))`;

/** One batch's statements, on the connection of its transaction. */
type Run = (name: string, text: string, values: string[]) => Promise<unknown>;

/**
 * Writes message events in batches: a few set-based statements per batch, not one round
 * trip per event. Every report is kept; a message's status is the latest of its recorded
 * status and its reports, so replays and out-of-order arrivals converge on the same row.
 * The two inserts are named (prepared once per connection): planning the upsert took about
 * 0.8 ms per batch, inside the ingest lock; their plan does not depend on the batch.
 */
@Injectable()
export class MessagesStore {
  constructor(private readonly dataSource: DataSource) {}

  /** All or nothing; a batch PostgreSQL refuses is written again one event at a time by the ingest. */
  async apply(changes: MessageChange[]): Promise<void> {
    if (!changes.length) return;
    const batch = toBatch(changes);
    await this.dataSource.transaction(async (manager) => {
      const client = (await manager.queryRunner!.connect()) as PoolClient;
      const run: Run = (name, text, values) => client.query({ name, text, values });
      await manager.query('SELECT pg_advisory_xact_lock($1)', [INGEST_LOCK]);
      await this.insertReports(run, batch);
      await this.upsertMessages(run, batch);
      // Planned for each batch: a generic plan of this one, blind to the arrays, took seconds a batch.
      if (batch.touched.accountIds.length) await manager.query(APPLY_REPORTS, [pgArray(batch.touched.accountIds), pgArray(batch.touched.messageIds)]);
    });
  }

  private async insertReports(run: Run, { reports }: Batch): Promise<void> {
    if (!reports.accountIds.length) return;
    await run(
      'ingest-insert-reports',
      INSERT_REPORTS,
      [reports.accountIds, reports.messageIds, reports.statuses, reports.occurredAts, reports.statusDescriptions, reports.errorCodes].map(pgArray),
    );
  }

  private async upsertMessages(run: Run, { messages }: Batch): Promise<void> {
    if (!messages.accountIds.length) return;
    await run(
      'ingest-upsert-messages',
      UPSERT_MESSAGES,
      [
        messages.accountIds,
        messages.messageIds,
        messages.customerMessageIds,
        messages.campaignIds,
        messages.channels,
        messages.directions,
        messages.senders,
        messages.destinations,
        messages.bodies,
        messages.statuses,
        messages.sendDates,
        messages.costs,
        messages.parts,
      ].map(pgArray),
    );
  }
}
