import { randomUUID } from 'node:crypto';
import { DEFAULT_MAX_ROWS_PER_FILE, ExportErrorCode, ExportFormat, ExportOutput, ExportStatus, ExportType } from '@exports/contracts';
import { ExportEvent, sourcesOf, transition } from '@exports/export-status';
import { ExportEntity, StoredExportFile } from './entities/export.entity';
import { OutboxKind, queueOutboxEntries } from '@exports/outbox';
import { Query, rowsOf } from '@exports/platform';
import { SqlRepository } from './sql-repository';

/** The status as it reads now: a COMPLETED export whose link has passed is EXPIRED. */
export const EFFECTIVE_STATUS = `(CASE WHEN status = 'COMPLETED' AND link_expires_at <= now() THEN 'EXPIRED' ELSE status END)`;

export interface NewExport {
  type: ExportType;
  filters: Record<string, unknown>;
  timezone: string;
  output: ExportOutput;
  idempotencyKey?: string;
  requestHash?: string;
}

export interface ExportListQuery {
  page: number;
  limit: number;
  status?: ExportStatus;
  type?: ExportType;
}

/** What a completed run wrote: its files in row order (at least one), and how long link and files last. */
export interface CompletedRun {
  files: StoredExportFile[];
  linkTtlSeconds: number;
  retentionSeconds: number;
}


/** What came of asking to start an attempt of a run. */
export type AttemptStart =
  | { kind: 'started'; record: ExportEntity }
  /** No such export (yet): the registry row is not visible. */
  | { kind: 'unknown' }
  /** The export is no longer PENDING in this run: a duplicate delivery. */
  | { kind: 'not-pending'; status: ExportStatus }
  /** Another attempt of this run heartbeated within the lease: it still lives. */
  | { kind: 'leased' }
  /** The account already has its share of attempts running: no attempt was counted. */
  | { kind: 'account-busy'; running: number };

/** What a heartbeat found: the lease renewed, the row held by another transaction (try again), or the run over. */
export type HeartbeatResult = 'renewed' | 'held' | 'gone';

/** The moves that start a new run of a finished export. */
export type RerunEvent = ExportEvent.RegeneratePurged | ExportEvent.Retry | ExportEvent.Restart;

/** What came of asking for a new run of a finished export. */
export type RerunResult = { kind: 'rerun'; run: number } | { kind: 'capped'; open: number } | { kind: 'unchanged' };

/**
 * The account's unfinished (PENDING) exports, counted up to the cap (it needs no more, and the
 * open-exports index reads no more). Run under the account lock, so the count holds until commit.
 */
const openExports = (account: string, cap: string) =>
  `SELECT count(*)::int AS open FROM (SELECT 1 FROM exports WHERE account_id = ${account} AND status = 'PENDING' LIMIT ${cap}) AS pending`;

/**
 * The exports registry as an account sees it. Every method takes the account id and
 * every statement filters on it: no caller can reach another account's export.
 * Status changes are conditional updates from the states the status machine allows,
 * and the bus messages they imply go to the outbox in the same statement.
 */
export class ExportsRepository extends SqlRepository {
  /**
   * Registers a PENDING export and the outbox entry of its first run, unless the account already
   * has `maxOpen` unfinished exports or the idempotency key was used before. One statement, one
   * round trip: `open_exports_locked` takes the account's lock (held until this statement commits)
   * before it counts, so concurrent requests of one account count one after the other and the cap
   * holds under READ COMMITTED, with no transaction left open while the app is busy elsewhere.
   * `open` is the account's unfinished exports as counted (up to `maxOpen`).
   */
  async create(accountId: string, request: NewExport, maxOpen: number): Promise<{ record?: ExportEntity; open: number }> {
    const rows = await this.rows(
      `WITH open_exports AS MATERIALIZED (SELECT open_exports_locked($2::uuid, $8::int) AS open), inserted AS (
         INSERT INTO exports (id, account_id, type, status, filters, timezone, format, columns, max_rows_per_file, idempotency_key, request_hash, created_at, updated_at)
         SELECT $1::uuid, $2::uuid, $3::text, 'PENDING', $4::jsonb, $5::text, $9::text, $10::text[], $11::int, $6::text, $7::text, now(), now()
         FROM open_exports WHERE open < $8
         ON CONFLICT (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING *
       ), queued AS (${queueOutboxEntries('inserted', 'run')})
       SELECT inserted.*, open_exports.open AS open_count FROM open_exports LEFT JOIN inserted ON true`,
      [
        randomUUID(),
        accountId,
        request.type,
        JSON.stringify(request.filters),
        request.timezone,
        request.idempotencyKey ?? null,
        request.requestHash ?? null,
        maxOpen,
        request.output.format,
        request.output.columns,
        request.output.maxRowsPerFile,
      ],
    );
    const row = rows[0];
    return { record: row.id === null ? undefined : toExportEntity(row), open: Number(row.open_count) };
  }

  async findByIdempotencyKey(accountId: string, key: string): Promise<ExportEntity | null> {
    const rows = await this.select(`SELECT * FROM exports WHERE account_id = $1 AND idempotency_key = $2`, [accountId, key]);
    return rows[0] ?? null;
  }

  async findOne(accountId: string, id: string): Promise<ExportEntity | null> {
    const rows = await this.select(`SELECT * FROM exports WHERE account_id = $1 AND id = $2`, [accountId, id]);
    return rows[0] ?? null;
  }

  async list(accountId: string, query: ExportListQuery): Promise<{ items: ExportEntity[]; totalItems: number }> {
    const where = ['account_id = $1'];
    const params: unknown[] = [accountId];
    if (query.status) {
      params.push(query.status);
      where.push(`${EFFECTIVE_STATUS} = $${params.length}`);
    }
    if (query.type) {
      params.push(query.type);
      where.push(`type = $${params.length}`);
    }
    const condition = where.join(' AND ');
    const [items, count] = await Promise.all([
      this.select(`SELECT * FROM exports WHERE ${condition} ORDER BY created_at DESC, id DESC LIMIT ${query.limit} OFFSET ${query.page * query.limit}`, params),
      this.rows<{ total: number }>(`SELECT count(*)::int AS total FROM exports WHERE ${condition}`, params),
    ]);
    return { items, totalItems: count[0].total };
  }

  /**
   * Starts an attempt of `run` and takes its lease, when the export is PENDING in that run, no
   * other attempt of it heartbeated within `leaseSeconds`, and fewer than `accountConcurrency`
   * attempts of the account's other exports are running (heartbeat within the lease, whichever
   * worker runs them). Under the account's lock, so two workers cannot both take the last share.
   */
  async startAttempt(accountId: string, id: string, run: number, leaseSeconds: number, accountConcurrency: number): Promise<AttemptStart> {
    return this.underAccountLock(accountId, async (query): Promise<AttemptStart> => {
      const live = `heartbeat_at >= now() - make_interval(secs => $3)`;
      const [state] = await rowsOf<{ status: ExportStatus; run: number; leased: boolean; running: number }>(
        query,
        `SELECT status, run, coalesce(${live}, false) AS leased,
           (SELECT count(*)::int FROM exports r WHERE r.account_id = $1 AND r.status = 'PENDING' AND r.id <> $2 AND r.${live}) AS running
         FROM exports WHERE account_id = $1 AND id = $2`,
        [accountId, id, leaseSeconds],
      );
      if (!state) return { kind: 'unknown' };
      if (state.status !== ExportStatus.Pending || state.run !== run) return { kind: 'not-pending', status: state.status };
      if (state.leased) return { kind: 'leased' };
      if (state.running >= accountConcurrency) return { kind: 'account-busy', running: state.running };
      const rows = await rowsOf(
        query,
        `UPDATE exports SET attempts = attempts + 1, heartbeat_at = now(), rows_exported = 0, updated_at = now()
         WHERE account_id = $1 AND id = $2 AND run = $3 AND status = 'PENDING' RETURNING *`,
        [accountId, id, run],
      );
      return rows[0] ? { kind: 'started', record: toExportEntity(rows[0]) } : { kind: 'unknown' };
    });
  }

  /** Ends a failed attempt that will be retried: its lease is released at once. */
  async endAttempt(accountId: string, id: string, run: number): Promise<void> {
    await this.rows(`UPDATE exports SET heartbeat_at = NULL WHERE account_id = $1 AND id = $2 AND run = $3 AND status = 'PENDING'`, [accountId, id, run]);
  }

  /** Gives back an attempt that was stopped on purpose (shutdown), so it does not count. */
  async releaseAttempt(accountId: string, id: string, run: number): Promise<void> {
    await this.rows(
      `UPDATE exports SET attempts = greatest(attempts - 1, 0), heartbeat_at = NULL, updated_at = now()
       WHERE account_id = $1 AND id = $2 AND run = $3 AND status = 'PENDING'`,
      [accountId, id, run],
    );
  }

  /**
   * Renews the lease of a running attempt and writes its progress. A row held by another
   * transaction is skipped, not waited for: the next tick tries again, and waiting heartbeats
   * would each hold a pool connection until none is left for the status write. `gone` when the
   * export is no longer PENDING in this run (cancelled, or finished elsewhere): the attempt is to stop.
   */
  async heartbeat(accountId: string, id: string, run: number, rowsExported: number): Promise<HeartbeatResult> {
    const renewed = await this.rows(
      `UPDATE exports e SET heartbeat_at = now(), rows_exported = $4
       FROM (SELECT id FROM exports WHERE account_id = $1 AND id = $2 AND run = $3 AND status = 'PENDING' FOR UPDATE SKIP LOCKED) live
       WHERE e.id = live.id RETURNING e.id`,
      [accountId, id, run, rowsExported],
    );
    if (renewed.length) return 'renewed';
    // Not renewed: a lock held elsewhere (try again next tick), or the run is over. A plain read sees the last commit.
    const [now] = await this.rows<{ status: ExportStatus; run: number }>(`SELECT status, run FROM exports WHERE account_id = $1 AND id = $2`, [accountId, id]);
    return now && now.status === ExportStatus.Pending && Number(now.run) === run ? 'held' : 'gone';
  }

  /**
   * PENDING → CANCELLED (and a `cancelled` event), whichever attempt runs it: the run that was
   * live is returned, for the workers to stop it; null when the export is not PENDING (any more).
   * The open-exports cap counts PENDING only: the slot is free once this commits.
   */
  async cancel(accountId: string, id: string): Promise<{ run: number } | null> {
    return this.move(accountId, id, ExportEvent.Cancel, {
      where: 'true',
      params: [],
      set: 'cancelled_at = now(), heartbeat_at = NULL',
      outbox: 'cancelled',
    });
  }

  /**
   * PENDING → COMPLETED (and a `completed` event); false when another run already finished it.
   * The row keeps the totals and every file; `file_name` and `sha256` are the single file's, and
   * `object_key` is the first file's (the one a release of a purge is matched on).
   */
  async complete(accountId: string, id: string, run: number, completed: CompletedRun): Promise<boolean> {
    const { files } = completed;
    const single = files.length === 1 ? files[0] : undefined;
    const rowCount = files.reduce((sum, file) => sum + file.rowCount, 0);
    const sizeBytes = files.reduce((sum, file) => sum + file.sizeBytes, 0);
    return this.moved(accountId, id, ExportEvent.Complete, {
      where: 'run = $4',
      params: [run, rowCount, sizeBytes, single?.sha256 ?? null, single?.fileName ?? null, files[0].objectKey, completed.linkTtlSeconds, completed.retentionSeconds, JSON.stringify(files)],
      set: `completed_at = now(), row_count = $5, rows_exported = $5, size_bytes = $6, sha256 = $7, file_name = $8, object_key = $9, files = $12::jsonb,
            link_expires_at = now() + make_interval(secs => $10), file_expires_at = now() + make_interval(secs => $11),
            file_purged_at = NULL, error_code = NULL, error_message = NULL`,
      outbox: 'completed',
    });
  }

  /** PENDING → FAILED with a code and a message the customer can act on (and a `failed` event). */
  async fail(accountId: string, id: string, run: number, code: ExportErrorCode, message: string): Promise<boolean> {
    return this.moved(accountId, id, ExportEvent.Fail, {
      where: 'run = $4',
      params: [run, code, message],
      set: 'error_code = $5, error_message = $6',
      outbox: 'failed',
    });
  }

  /** COMPLETED/EXPIRED with the file kept → COMPLETED with a new link, never outliving the file. */
  async renewLink(accountId: string, id: string, linkTtlSeconds: number): Promise<boolean> {
    return this.moved(accountId, id, ExportEvent.RegenerateRetained, {
      where: 'file_expires_at > now() AND file_purged_at IS NULL',
      params: [linkTtlSeconds],
      set: 'link_expires_at = least(now() + make_interval(secs => $4), file_expires_at)',
    });
  }

  /**
   * EXPIRED without its file, FAILED or CANCELLED → PENDING in a new run with the same filters. A new run
   * is one more unfinished export: it counts against `maxOpen` exactly as a new export does, under
   * the same account lock (`capped` when the account is at its cap).
   */
  async rerun(accountId: string, id: string, event: RerunEvent, maxOpen: number): Promise<RerunResult> {
    const purged = event === ExportEvent.RegeneratePurged ? 'AND (file_expires_at IS NULL OR file_expires_at <= now() OR file_purged_at IS NOT NULL)' : '';
    return this.underAccountLock(accountId, async (query): Promise<RerunResult> => {
      const [{ open }] = await rowsOf<{ open: number }>(query, openExports('$1', '$2'), [accountId, maxOpen]);
      if (open >= maxOpen) return { kind: 'capped', open };
      const moved = await this.move(
        accountId,
        id,
        event,
        {
          where: `true ${purged}`,
          params: [],
          set: `run = run + 1, attempts = 0, rows_exported = 0, heartbeat_at = NULL, completed_at = NULL, cancelled_at = NULL, link_expires_at = NULL,
                file_expires_at = NULL, row_count = NULL, size_bytes = NULL, sha256 = NULL, error_code = NULL, error_message = NULL`,
          outbox: 'run',
        },
        query,
      );
      return moved ? { kind: 'rerun', run: moved.run } : { kind: 'unchanged' };
    });
  }

  private async move(
    accountId: string,
    id: string,
    event: ExportEvent,
    change: { where: string; params: unknown[]; set: string; outbox?: OutboxKind },
    query: Query = this.query,
  ): Promise<{ run: number } | null> {
    const sources = sourcesOf(event);
    const target = transition(sources[0], event);
    const update = `UPDATE exports SET status = '${target}', updated_at = now(), ${change.set}
       WHERE account_id = $1 AND id = $2 AND ${EFFECTIVE_STATUS} = ANY($3) AND ${change.where} RETURNING *`;
    // The entry keeps the row as this change left it: its event says what happened, not what came later.
    const sql = change.outbox ? `WITH moved AS (${update}) ${queueOutboxEntries('moved', change.outbox)}` : update;
    const rows = await rowsOf<{ run: number }>(query, sql, [accountId, id, sources, ...change.params]);
    return rows[0] ? { run: Number(rows[0].run) } : null;
  }

  private async moved(accountId: string, id: string, event: ExportEvent, change: { where: string; params: unknown[]; set: string; outbox?: OutboxKind }): Promise<boolean> {
    return (await this.move(accountId, id, event, change)) !== null;
  }

  /** Runs `work` in one transaction holding the account's advisory lock (released at commit). */
  private underAccountLock<T>(accountId: string, work: (query: Query) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      const query: Query = (sql, params) => manager.query(sql, params);
      // The same key as open_exports_locked's: the uuid's canonical text.
      await query(`SELECT pg_advisory_xact_lock(hashtextextended($1::uuid::text, 0))`, [accountId]);
      return work(query);
    });
  }

  private select(sql: string, params: unknown[]): Promise<ExportEntity[]> {
    return select(this.query, sql, params);
  }

}

async function select(query: Query, sql: string, params: unknown[]): Promise<ExportEntity[]> {
  return (await rowsOf(query, sql, params)).map(toExportEntity);
}

export function toExportEntity(row: Record<string, unknown>): ExportEntity {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return Object.assign(new ExportEntity(), {
    id: row.id,
    accountId: row.account_id,
    type: row.type,
    status: row.status,
    filters: row.filters,
    timezone: row.timezone,
    // Snapshots in the outbox written before these columns existed lack them: the defaults of the column.
    format: row.format ?? ExportFormat.Csv,
    columns: row.columns ?? null,
    maxRowsPerFile: num(row.max_rows_per_file) ?? DEFAULT_MAX_ROWS_PER_FILE,
    files: row.files ?? null,
    run: row.run,
    attempts: row.attempts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    heartbeatAt: row.heartbeat_at,
    completedAt: row.completed_at,
    cancelledAt: row.cancelled_at ?? null,
    linkExpiresAt: row.link_expires_at,
    fileExpiresAt: row.file_expires_at,
    filePurgedAt: row.file_purged_at ?? null,
    rowCount: num(row.row_count),
    sizeBytes: num(row.size_bytes),
    sha256: row.sha256,
    fileName: row.file_name,
    objectKey: row.object_key,
    rowsExported: Number(row.rows_exported ?? 0),
    errorCode: row.error_code,
    errorMessage: row.error_message,
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    // Rows and snapshots from before the download audit lack these; a snapshot holds the time as text.
    downloadCount: Number(row.download_count ?? 0),
    lastDownloadedAt: row.last_downloaded_at ? new Date(row.last_downloaded_at as string | Date) : null,
  });
}
