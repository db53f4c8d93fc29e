import { DataSource } from 'typeorm';
import { ExportEntity } from './entities/export.entity';
import { rowsOf, toExportEntity } from './exports.repository';

/** `run`: put a run on the EXPORTS stream; the others: lifecycle events on EXPORT_EVENTS. */
export type OutboxKind = 'run' | 'completed' | 'failed' | 'expired';

export interface OutboxEntry {
  id: string;
  kind: OutboxKind;
  run: number;
  export: ExportEntity;
}

/** How long a claimed entry is left to its relay: well past a JetStream publish timeout. */
const CLAIM_SECONDS = 60;

/**
 * Messages owed to the bus, written in the same transaction as the change that owes
 * them. `drain` claims due entries (SKIP LOCKED, so several relays share the work), hands
 * them to `publish` and deletes those published.
 */
export class OutboxRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Publishes up to `limit` due entries, all at once (the bus keeps the order they are sent in),
   * then deletes the published ones; a failed entry is retried later, with backoff. The entries
   * are claimed by a lease (`publish_after` moved past the publish timeout), not by a transaction
   * held open while publishing: two statements a batch, and an entry claimed by a relay that
   * died is due again when the lease ends (re-published under the same message id, which
   * JetStream drops as a duplicate).
   */
  async drain(publish: (entry: OutboxEntry) => Promise<void>, limit: number): Promise<{ sent: number; error?: unknown }> {
    const query = (sql: string, params: unknown[]) => this.dataSource.query(sql, params);
    const rows = await rowsOf<Record<string, unknown>>(
      query,
      // An event entry carries the row as its change left it (snapshot); a run entry reads the row as it is.
      `WITH claimed AS (
         UPDATE outbox o SET publish_after = now() + $2 * interval '1 second'
         FROM (SELECT id FROM outbox WHERE publish_after <= now() ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) due
         WHERE o.id = due.id
         RETURNING o.id, o.export_id, o.account_id, o.kind, o.run, o.snapshot
       )
       SELECT o.id AS outbox_id, o.kind AS outbox_kind, o.run AS outbox_run, s.*
       FROM claimed o JOIN exports e ON e.id = o.export_id AND e.account_id = o.account_id
       CROSS JOIN LATERAL jsonb_populate_record(NULL::exports, coalesce(o.snapshot, to_jsonb(e))) s
       ORDER BY o.id`,
      [limit, CLAIM_SECONDS],
    );
    const entries = rows.map((row): OutboxEntry => ({ id: String(row.outbox_id), kind: row.outbox_kind as OutboxKind, run: Number(row.outbox_run), export: toExportEntity(row) }));
    const outcomes = await Promise.allSettled(entries.map((entry) => publish(entry)));
    const published = entries.filter((_, index) => outcomes[index].status === 'fulfilled').map((entry) => entry.id);
    const failed = entries.filter((_, index) => outcomes[index].status === 'rejected').map((entry) => entry.id);
    if (published.length) await rowsOf(query, `DELETE FROM outbox WHERE id = ANY($1::bigint[])`, [published]);
    if (failed.length) {
      await rowsOf(query, `UPDATE outbox SET attempts = attempts + 1, publish_after = now() + least(attempts + 1, 30) * interval '1 second' WHERE id = ANY($1::bigint[])`, [failed]);
    }
    const error = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected')?.reason;
    return failed.length ? { sent: published.length, error } : { sent: published.length };
  }

  async pending(): Promise<number> {
    const rows = await rowsOf<{ n: number }>((q, p) => this.dataSource.query(q, p), `SELECT count(*)::int AS n FROM outbox`, []);
    return rows[0].n;
  }
}
