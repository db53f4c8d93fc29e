import { DataSource } from 'typeorm';
import { Query, rowsOf } from '@exports/platform';
import { OutboxEntry, OutboxKind } from './outbox-entry';

/** How long a claimed entry is left to its relay: well past a JetStream publish timeout. */
const CLAIM_SECONDS = 60;

/** What the relay needs of the outbox table; faked in the relay's unit spec. */
export interface OutboxStore {
  drain(publish: (entry: OutboxEntry) => Promise<void>, limit: number): Promise<{ sent: number; error?: unknown }>;
}

/**
 * Messages owed to the bus, written in the same statement as the change that owes them
 * (`queueOutboxEntries`). `drain` claims due entries (SKIP LOCKED, so several relays share the
 * work), hands them to `publish` and deletes those published.
 */
export class OutboxRepository implements OutboxStore {
  private readonly query: Query;

  constructor(dataSource: DataSource) {
    this.query = (sql, params) => dataSource.query(sql, params);
  }

  /**
   * Publishes up to `limit` due entries, all at once (the bus keeps the order they are sent in),
   * then deletes the published ones; a failed entry is retried later, with backoff. The entries
   * are claimed by a lease (`publish_after` moved past the publish timeout), not by a transaction
   * held open while publishing: two statements a batch, and an entry claimed by a relay that
   * died is due again when the lease ends (re-published under the same message id, which
   * JetStream drops as a duplicate).
   */
  async drain(publish: (entry: OutboxEntry) => Promise<void>, limit: number): Promise<{ sent: number; error?: unknown }> {
    const rows = await rowsOf<{ id: string; kind: OutboxKind; run: number; snapshot: Record<string, unknown> }>(
      this.query,
      `UPDATE outbox o SET publish_after = now() + $2 * interval '1 second'
       FROM (SELECT id FROM outbox WHERE publish_after <= now() ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) due
       WHERE o.id = due.id
       RETURNING o.id, o.kind, o.run, o.snapshot`,
      [limit, CLAIM_SECONDS],
    );
    const entries = rows
      .map((row): OutboxEntry => ({ id: String(row.id), kind: row.kind, run: Number(row.run), snapshot: row.snapshot }))
      .sort((a, b) => Number(a.id) - Number(b.id));
    const outcomes = await Promise.allSettled(entries.map((entry) => publish(entry)));
    const published = entries.filter((_, index) => outcomes[index].status === 'fulfilled').map((entry) => entry.id);
    const failed = entries.filter((_, index) => outcomes[index].status === 'rejected').map((entry) => entry.id);
    if (published.length) await rowsOf(this.query, `DELETE FROM outbox WHERE id = ANY($1::bigint[])`, [published]);
    if (failed.length) {
      await rowsOf(this.query, `UPDATE outbox SET attempts = attempts + 1, publish_after = now() + least(attempts + 1, 30) * interval '1 second' WHERE id = ANY($1::bigint[])`, [failed]);
    }
    const error = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected')?.reason;
    return failed.length ? { sent: published.length, error } : { sent: published.length };
  }
}
