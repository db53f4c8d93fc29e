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

/**
 * Messages owed to the bus, written in the same transaction as the change that owes
 * them. `drain` hands due entries to `publish` one at a time under row locks
 * (SKIP LOCKED, so several relays share the work) and deletes each once published.
 */
export class OutboxRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Publishes up to `limit` due entries; stops at the first failure, which is retried later with backoff. */
  async drain(publish: (entry: OutboxEntry) => Promise<void>, limit = 100): Promise<{ sent: number; error?: unknown }> {
    return this.dataSource.transaction(async (manager) => {
      const query = (sql: string, params: unknown[]) => manager.query(sql, params);
      const rows = await rowsOf<Record<string, unknown>>(
        query,
        // An event entry carries the row as its change left it (snapshot); a run entry reads the row as it is.
        `SELECT o.id AS outbox_id, o.kind AS outbox_kind, o.run AS outbox_run, s.*
         FROM outbox o JOIN exports e ON e.id = o.export_id AND e.account_id = o.account_id
         CROSS JOIN LATERAL jsonb_populate_record(NULL::exports, coalesce(o.snapshot, to_jsonb(e))) s
         WHERE o.publish_after <= now() ORDER BY o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED`,
        [limit],
      );
      let sent = 0;
      for (const row of rows) {
        const entry: OutboxEntry = { id: String(row.outbox_id), kind: row.outbox_kind as OutboxKind, run: Number(row.outbox_run), export: toExportEntity(row) };
        try {
          await publish(entry);
        } catch (error) {
          await rowsOf(query, `UPDATE outbox SET attempts = attempts + 1, publish_after = now() + least(attempts + 1, 30) * interval '1 second' WHERE id = $1`, [entry.id]);
          return { sent, error };
        }
        await rowsOf(query, `DELETE FROM outbox WHERE id = $1`, [entry.id]);
        sent += 1;
      }
      return { sent };
    });
  }

  async pending(): Promise<number> {
    const rows = await rowsOf<{ n: number }>((q, p) => this.dataSource.query(q, p), `SELECT count(*)::int AS n FROM outbox`, []);
    return rows[0].n;
  }
}
