import { ExportErrorCode } from '@exports/contracts';
import { ExportEvent, sourcesOf, transition } from '@exports/export-status';
import { outboxHolds, queueOutboxEntries } from '@exports/outbox';
import { rowsOf } from '@exports/platform';
import { SqlRepository } from './sql-repository';

export interface PurgeCandidate {
  id: string;
  accountId: string;
  /** The key the row recorded (its first file's): a release is matched on it. */
  objectKey: string;
  /** Every file of the completed run, the first one included. */
  objectKeys: string[];
}

/** A run the sweeper gave up on: whatever it wrote is to be removed. */
export interface AbandonedRun {
  id: string;
  accountId: string;
  run: number;
}

/** An export removed from the registry: every object under its prefix is to be removed. */
export interface RemovedRecord {
  id: string;
  accountId: string;
}

/**
 * Housekeeping across all accounts, for the sweeper only (never behind a customer
 * request): write EXPIRED when links pass, find files past retention, and give up on
 * runs that stopped heartbeating. Each change is conditional and emits its event.
 */
export class ExportsMaintenanceRepository extends SqlRepository {
  /** COMPLETED → EXPIRED for every passed link, each with one `expired` event. */
  async expireLinks(limit = 500): Promise<number> {
    const to = transition(sourcesOf(ExportEvent.LinkExpire)[0], ExportEvent.LinkExpire);
    const rows = await this.rows(
      `WITH due AS (
         SELECT id FROM exports WHERE status = ANY($1) AND link_expires_at <= now() ORDER BY link_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
       ), moved AS (
         UPDATE exports e SET status = $3, updated_at = now() FROM due WHERE e.id = due.id RETURNING e.*
       )
       ${queueOutboxEntries('moved', 'expired')}`,
      [sourcesOf(ExportEvent.LinkExpire), limit, to],
    );
    return rows.length;
  }

  /**
   * Claims files whose retention has passed: marks them purged first (one conditional update, rows
   * taken with SKIP LOCKED) and returns the objects each row recorded, the ones to delete. Marked
   * first, a regenerate that comes meanwhile starts a new run, which writes a key of its own; a
   * regenerate that came before left the row PENDING or with a later expiry, so it is not claimed.
   */
  async claimPurges(limit = 100): Promise<PurgeCandidate[]> {
    return this.rows<PurgeCandidate>(
      `WITH due AS (
         SELECT id FROM exports
         WHERE file_expires_at <= now() AND file_purged_at IS NULL AND object_key IS NOT NULL AND status <> 'PENDING'
         ORDER BY file_expires_at LIMIT $1 FOR UPDATE SKIP LOCKED
       )
       UPDATE exports e SET file_purged_at = now(), updated_at = now() FROM due
       WHERE e.id = due.id AND e.file_purged_at IS NULL AND e.status <> 'PENDING'
       RETURNING e.id, e.account_id AS "accountId", e.object_key AS "objectKey",
         coalesce((SELECT array_agg(f->>'objectKey' ORDER BY (f->>'part')::int) FROM jsonb_array_elements(e.files) f), ARRAY[e.object_key]) AS "objectKeys"`,
      [limit],
    );
  }

  /** Un-marks a claimed file whose object could not be deleted, so a later sweep tries again; not once the row moved on. */
  async releasePurge(candidate: PurgeCandidate): Promise<void> {
    await this.rows(
      `UPDATE exports SET file_purged_at = NULL WHERE id = $1 AND account_id = $2 AND object_key = $3 AND file_purged_at IS NOT NULL AND status <> 'PENDING'`,
      [candidate.id, candidate.accountId, candidate.objectKey],
    );
  }

  /**
   * Removes finished exports (not PENDING, file no longer kept) whose last outcome is older than
   * `retentionDays`, up to `limit` rows, with their outbox entries. `removeFiles` deletes their objects
   * before the transaction commits: when it fails, the rows stay and a later sweep tries again.
   */
  async removeExpiredRecords(retentionDays: number, limit: number, removeFiles: (records: RemovedRecord[]) => Promise<void>): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const removed = await rowsOf<RemovedRecord>(
        (sql, params) => manager.query(sql, params),
        `WITH due AS (
           SELECT id FROM exports
           WHERE status <> 'PENDING' AND coalesce(completed_at, updated_at) < now() - make_interval(days => $1)
             AND (file_expires_at IS NULL OR file_expires_at <= now())
           ORDER BY coalesce(completed_at, updated_at) LIMIT $2 FOR UPDATE SKIP LOCKED
         )
         DELETE FROM exports e USING due WHERE e.id = due.id AND e.status <> 'PENDING' RETURNING e.id, e.account_id AS "accountId"`,
        [retentionDays, limit],
      );
      if (removed.length) await removeFiles(removed);
      return removed.length;
    });
  }

  /**
   * PENDING runs silent for `staleSeconds`: FAILED with TIMEOUT once attempts are used up;
   * otherwise their run goes back on the bus (in case its message was lost). Returns counts.
   */
  async sweepStaleRuns(maxAttempts: number, staleSeconds: number, timeoutMessage: string): Promise<{ failed: AbandonedRun[]; redriven: number }> {
    const failed = await this.rows<AbandonedRun>(
      `WITH moved AS (
         UPDATE exports SET status = 'FAILED', error_code = $3, error_message = $4, updated_at = now()
         WHERE status = 'PENDING' AND attempts >= $1 AND coalesce(heartbeat_at, updated_at) < now() - make_interval(secs => $2)
         RETURNING *
       )
       ${queueOutboxEntries('moved', 'failed')}`,
      [maxAttempts, staleSeconds, ExportErrorCode.Timeout, timeoutMessage],
    );
    const redriven = await this.rows(
      `WITH due AS (
         SELECT e.id FROM exports e
         WHERE e.status = 'PENDING' AND e.attempts < $1 AND coalesce(e.heartbeat_at, e.updated_at) < now() - make_interval(secs => $2)
           AND NOT ${outboxHolds('e.id', 'run')}
         LIMIT 100 FOR UPDATE SKIP LOCKED
       ), touched AS (
         UPDATE exports e SET updated_at = now() FROM due WHERE e.id = due.id RETURNING e.*
       )
       ${queueOutboxEntries('touched', 'run')}`,
      [maxAttempts, staleSeconds],
    );
    return { failed, redriven: redriven.length };
  }
}
