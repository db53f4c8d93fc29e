/** `run`: put a run of an export on the bus; the others: that export's lifecycle events. */
export type OutboxKind = 'run' | 'completed' | 'failed' | 'expired' | 'cancelled';

/** One message owed to the bus, with the export row as the change that owed it left it. */
export interface OutboxEntry {
  id: string;
  kind: OutboxKind;
  run: number;
  /** The export row as `to_jsonb` wrote it (column names, timestamps as ISO text). */
  snapshot: Record<string, unknown>;
}

/** What an entry becomes on the bus. */
export interface OutboxMessage {
  subject: string;
  payload: unknown;
  /** JetStream's dedupe key: a re-publish of the same entry is dropped. */
  messageId: string;
}

/** Turns an entry into its message; the owner of the rows that write entries supplies it. */
export type OutboxMessageOf = (entry: OutboxEntry) => OutboxMessage;

const KINDS: ReadonlySet<string> = new Set<OutboxKind>(['run', 'completed', 'failed', 'expired', 'cancelled']);

/**
 * SQL that queues one entry of `kind` for every row of `source` (a CTE or table of export rows,
 * each kept whole as the entry's snapshot). Returns `id`, `accountId` and `run` of each row.
 * Used inside the statement that makes the change, so the entry commits with it or not at all.
 */
export function queueOutboxEntries(source: string, kind: OutboxKind): string {
  if (!KINDS.has(kind) || !/^[a-z_]+$/.test(source)) throw new Error(`queueOutboxEntries: bad kind "${kind}" or source "${source}"`);
  return `INSERT INTO outbox (export_id, account_id, kind, run, snapshot)
    SELECT id, account_id, '${kind}', run, to_jsonb(${source}) FROM ${source}
    RETURNING export_id AS id, account_id AS "accountId", run`;
}

/** SQL condition: an entry of `kind` is still waiting for the export whose id is `exportId` (an SQL expression). */
export function outboxHolds(exportId: string, kind: OutboxKind): string {
  if (!KINDS.has(kind) || !/^[a-z_.]+$/.test(exportId)) throw new Error(`outboxHolds: bad kind "${kind}" or expression "${exportId}"`);
  return `EXISTS (SELECT 1 FROM outbox o WHERE o.export_id = ${exportId} AND o.kind = '${kind}')`;
}
