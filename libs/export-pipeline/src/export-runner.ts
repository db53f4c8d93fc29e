import { Logger } from '@nestjs/common';
import { Pool } from 'pg';
import { ExportErrorCode, ExportRequestedEvent, ExportStatus, ExportType, FORMAT_TRAITS } from '@exports/contracts';
import { ExportEntity, exportFilesOf, ExportsRepository, LIFT_STATEMENT_TIMEOUT, StoredExportFile } from '@exports/database';
import { exportCopy, exportFileName, exportPartKey, exportRunPrefix, exportSelect, ExportSource } from '@exports/export-files';
import { Metrics } from '@exports/platform';
import { ObjectStorage } from '@exports/storage';
import { CopyProgress, copyToParts } from './copy-to-parts';
import { classifyFailure, customerMessage, StallError, StorageError } from './failure';
import { RunStop, watchRun } from './run-watchdog';

export interface ExportRunnerSettings {
  maxAttempts: number;
  linkTtlSeconds: number;
  retentionSeconds: number;
  /** A run that moves no byte for this long is abandoned as TIMEOUT (and retried). */
  stallSeconds: number;
  /** An attempt that heartbeated this recently owns the export; a redelivery waits for it. */
  leaseSeconds: number;
  /** Attempts of one account's exports running at once, across every worker. */
  accountConcurrency: number;
  /** How often progress and the heartbeat are written while a file streams. */
  heartbeatMs?: number;
  /** gzip level of the compressed formats (1 fastest .. 9 smallest). */
  gzipLevel: number;
}

/** A run over its account's share goes back to the bus for this long; the worker takes other work meanwhile. */
const ACCOUNT_BUSY_DELAY_MS = 1000;

/**
 * Planner settings for the export's COPY (docs/BENCHMARKS.md, measured on 1M messages):
 * - jit off: the SELECT of a large export is costed high enough for JIT inlining and
 *   optimisation, which every parallel worker spent about a second of CPU on before its first
 *   row (3 s of CPU over 3 processes), never won back on a scan.
 * - no parallel workers: the file is produced as fast as the worker reads, meters and uploads
 *   it, so two parallel workers only sped up a producer that was already waiting, for 60-80% more
 *   CPU in PostgreSQL (4.4-5.4 s against 2.7-3.0 s for 1M rows) taken from those same steps on a
 *   shared machine. One export is one backend on one core.
 * - sort off (a penalty, not a ban), for a source whose order an index gives as it is
 *   ({@link ExportSource.indexOrdered}): the planner costs the whole result, not the first rows,
 *   and chose a sort over that index. A sort holds every row back until it has read them all
 *   (spilling to disk on large exports), so the upload starts only then; read in order from the
 *   index, the file streams from the first row, and the COPY, the meter and the upload overlap.
 *   Not for the others: on a join (delivery reports) the penalty turned hash joins into nested
 *   loops, and a burst of such exports stalled the workers.
 */
export function exportPlanSettings(source: Pick<ExportSource, 'indexOrdered'>): string {
  const settings = [`set_config('jit', 'off', true)`, `set_config('max_parallel_workers_per_gather', '0', true)`];
  if (source.indexOrdered) settings.push(`set_config('enable_sort', 'off', true)`);
  return `SELECT ${settings.join(', ')}`;
}

/** The run was stopped because this worker is shutting down: hand it to another one. */
export class HandBackError extends Error {
  constructor() {
    super('worker shutting down');
    this.name = 'HandBackError';
  }
}

/**
 * The export is no longer PENDING in the run this attempt produces (its account cancelled it, or
 * it ended elsewhere): the attempt stops, removes what it wrote, and nothing is retried.
 */
export class RunCancelledError extends Error {
  constructor(readonly how: 'broadcast' | 'heartbeat') {
    super(`the export is no longer pending in this run (seen by ${how})`);
    this.name = 'RunCancelledError';
  }
}

/** The run an attempt in progress produces. */
interface ActiveRun {
  exportId: string;
  run: number;
}

/** The watch over one attempt, from its start to its recorded outcome. */
interface AttemptWatch {
  /** What stops the attempt: a stall, a lost connection, a hand-back. */
  stop: RunStop;
  heartbeat(rows: number): void;
  /** What tells that the attempt moves: rows and bytes read so far. */
  track(progress: CopyProgress): void;
  end(): void;
}

/** What the consumer does with the message after a run. */
export type RunOutcome =
  | { kind: 'done' }
  | { kind: 'retry'; delayMs: number }
  /** Not (yet) visible in the registry: try again shortly, then give up. */
  | { kind: 'unknown' };

/** What a run needs of each collaborator: the app gives the real ones, the unit spec fakes. */
export type RunRegistry = Pick<ExportsRepository, 'startAttempt' | 'heartbeat' | 'complete' | 'fail' | 'findOne' | 'endAttempt' | 'releaseAttempt'>;
export type RunStorage = Pick<ObjectStorage, 'discard' | 'upload' | 'stat' | 'remove'>;
export type RunConnections = Pick<Pool, 'connect'>;

export interface RunHooks {
  /** Tells the bus the run is alive so the message is not handed to another worker. */
  working(): void;
}

/**
 * Produces one run of an export: COPY from PostgreSQL (CSV or JSON Lines, the requested columns)
 * → files of at most `maxRowsPerFile` rows, each gzip-compressed for a .gz format, metered (bytes,
 * sha256) and uploaded → the conditional PENDING → COMPLETED write with every file.
 * Each run writes keys of its own (`<accountId>/<exportId>/<run>/part-<n>.<ext>`), shared by
 * the attempts of that run: a repeated attempt replaces the objects, and no clean-up of one
 * run can reach another's files. An attempt that fails leaves nothing under its run (objects
 * and unfinished uploads removed); a completed run removes the files of the run before it.
 * Lifecycle events leave through the outbox, written with the status change.
 */
export class ExportRunner {
  private readonly logger = new Logger(ExportRunner.name);
  private readonly sources: Map<ExportType, ExportSource>;
  private readonly active = new Map<AbortController, ActiveRun>();

  constructor(
    private readonly pool: RunConnections,
    private readonly exports: RunRegistry,
    private readonly storage: RunStorage,
    private readonly settings: ExportRunnerSettings,
    sources: ExportSource[],
    private readonly metrics?: Metrics,
  ) {
    this.sources = new Map(sources.map((source) => [source.type, source]));
  }

  async run(event: ExportRequestedEvent, hooks: RunHooks): Promise<RunOutcome> {
    const context = { exportId: event.exportId, accountId: event.accountId, run: event.run };
    const start = await this.exports.startAttempt(event.accountId, event.exportId, event.run, this.settings.leaseSeconds, this.settings.accountConcurrency);
    switch (start.kind) {
      case 'unknown':
        return { kind: 'unknown' };
      case 'leased':
        this.logger.log({ message: 'Export is being run by another worker; delivery deferred', ...context });
        return { kind: 'retry', delayMs: (this.settings.leaseSeconds * 1000) / 2 };
      case 'account-busy':
        // No attempt was counted: the run waits on the bus while other accounts' runs go first.
        this.logger.debug({ message: 'Account has its share of exports running; run handed back', ...context, running: start.running });
        return { kind: 'retry', delayMs: ACCOUNT_BUSY_DELAY_MS };
      case 'not-pending':
        this.logger.log({ message: 'Export is not pending in this run; delivery ignored', ...context, status: start.status });
        return { kind: 'done' };
    }
    const record = start.record;
    if (record.attempts > this.settings.maxAttempts) {
      // Earlier attempts died or froze without reporting: give up rather than loop.
      await this.discardRun(record);
      await this.failRun(record, ExportErrorCode.Timeout, record.attempts - 1);
      return { kind: 'done' };
    }

    const started = Date.now();
    const abort = new AbortController();
    this.active.set(abort, { exportId: record.id, run: record.run });
    // The lease and the bus's ack wait are kept from the start of the attempt until its outcome is
    // written: a slow clean-up before the COPY or a slow status write after it must not let
    // another worker take the run and produce it a second time.
    const watch = this.watchAttempt(record, hooks, abort);
    try {
      await this.store(record, await this.produce(record, watch, abort.signal), started);
      return { kind: 'done' };
    } catch (error) {
      watch.end();
      return await this.attemptFailed(record, error);
    } finally {
      watch.end();
      this.active.delete(abort);
    }
  }

  /**
   * Heartbeats and `working` while bytes move, until the stall limit; see {@link watchRun}. A
   * heartbeat that finds the run over (a cancel whose broadcast this worker missed) stops the attempt.
   */
  private watchAttempt(record: ExportEntity, hooks: RunHooks, abort: AbortController): AttemptWatch {
    const stop = new RunStop();
    const heartbeat = (rows: number) =>
      void this.exports.heartbeat(record.accountId, record.id, record.run, rows).then(
        (found) => {
          if (found === 'gone' && !abort.signal.aborted) abort.abort(new RunCancelledError('heartbeat'));
        },
        () => undefined,
      );
    let copied: CopyProgress | undefined;
    const end = watchRun({
      heartbeatMs: this.settings.heartbeatMs ?? 1000,
      stallSeconds: this.settings.stallSeconds,
      // Before the COPY (clean-up, a connection) nothing streams yet: the stall limit counts from the COPY.
      progress: () => copied,
      heartbeat,
      working: () => hooks.working(),
      stalled: () => stop.stop(new StallError(this.settings.stallSeconds)),
    });
    return { stop, heartbeat, track: (tracked) => (copied = tracked), end };
  }

  /** The conditional PENDING → COMPLETED write of the produced files; a run finished meanwhile changes nothing. */
  private async store(record: ExportEntity, files: StoredExportFile[], started: number): Promise<void> {
    const context = { exportId: record.id, accountId: record.accountId, run: record.run };
    const completed = await this.exports.complete(record.accountId, record.id, record.run, {
      files,
      linkTtlSeconds: this.settings.linkTtlSeconds,
      retentionSeconds: this.settings.retentionSeconds,
    });
    const rowCount = files.reduce((sum, file) => sum + file.rowCount, 0);
    if (!completed) {
      const now = await this.exports.findOne(record.accountId, record.id).catch(() => undefined);
      // Another attempt of this run may have completed with these very keys: then the objects are its files.
      // Otherwise (cancelled meanwhile, re-run, or the row could not be read) nothing of this run is kept:
      // only a row read and known to record these keys keeps them.
      if (now?.objectKey !== files[0].objectKey) await this.discardRun(record);
      this.logger.log({ message: 'Export is no longer pending in this run (cancelled or finished elsewhere); this run changed nothing', ...context, status: now?.status });
      return;
    }
    const sizeBytes = files.reduce((sum, file) => sum + file.sizeBytes, 0);
    this.logger.log({ message: 'Export completed', ...context, rowCount, sizeBytes, files: files.length, ms: Date.now() - started });
    this.metrics?.exportsFinished.inc({ type: record.type, status: 'COMPLETED' });
    this.metrics?.exportDuration.observe({ type: record.type }, (Date.now() - started) / 1000);
    this.metrics?.exportRows.inc({ type: record.type }, rowCount);
    // The files of the run before (not yet purged, or of the layouts before runs and parts had keys) are superseded.
    const kept = new Set(files.map((file) => file.objectKey));
    for (const previous of exportFilesOf(record)) {
      if (!kept.has(previous.objectKey)) await this.removeSuperseded(record, previous.objectKey);
    }
  }

  /** Handed back (shutdown: the attempt is given back), retried with backoff, or FAILED after the last attempt. */
  private async attemptFailed(record: ExportEntity, error: unknown): Promise<RunOutcome> {
    const context = { exportId: record.id, accountId: record.accountId, run: record.run };
    // Before the lease is given up: once it is, another attempt of this run may write the same key.
    await this.discardRun(record);
    if (error instanceof RunCancelledError) {
      // Nothing to write: the export keeps the status that ended the run (CANCELLED), and the message is acked.
      // Not counted in exportsFinished: the worker finished nothing, the cancel did.
      this.logger.log({ message: 'Export run stopped: cancelled; what it wrote was removed', ...context, seenBy: error.how });
      return { kind: 'done' };
    }
    if (error instanceof HandBackError) {
      await this.exports.releaseAttempt(record.accountId, record.id, record.run).catch(() => undefined);
      this.logger.log({ message: 'Export handed back for another worker', ...context });
      return { kind: 'retry', delayMs: 0 };
    }
    const code = classifyFailure(error);
    this.logger.warn({ message: 'Export attempt failed', ...context, attempt: record.attempts, code, error });
    if (record.attempts >= this.settings.maxAttempts) {
      await this.failRun(record, code, record.attempts);
      return { kind: 'done' };
    }
    await this.exports.endAttempt(record.accountId, record.id, record.run).catch(() => undefined);
    return { kind: 'retry', delayMs: Math.min(30_000, 1000 * 2 ** (record.attempts - 1)) };
  }

  /** Stops every run in progress; each is handed back to the bus for another worker. */
  handBackAll(): void {
    for (const abort of this.active.keys()) abort.abort(new HandBackError());
  }

  /** Stops the attempt of this run of the export if this worker runs it (a cancel); true when it did. */
  cancel(exportId: string, run: number): boolean {
    let stopped = false;
    for (const [abort, active] of this.active) {
      if (active.exportId === exportId && active.run === run && !abort.signal.aborted) {
        abort.abort(new RunCancelledError('broadcast'));
        stopped = true;
      }
    }
    return stopped;
  }

  /** One attempt's files: what an earlier attempt of the run left is removed, then the COPY is stored under the run's keys. */
  private async produce(record: ExportEntity, watch: AttemptWatch, signal: AbortSignal): Promise<StoredExportFile[]> {
    const source = this.sources.get(record.type);
    if (!source) throw new Error(`No export source for ${record.type}`);
    const traits = FORMAT_TRAITS[record.format];
    // What an earlier attempt of this run left (a worker killed mid-upload leaves its parts).
    await this.storage.discard(exportRunPrefix(record.accountId, record.id, record.run)).catch((error: unknown) => {
      throw new StorageError(error);
    });
    const client = await this.pool.connect();
    const { stop } = watch;
    // The first rows are shown at once (a poller sees the run move); then once per heartbeat.
    const progress = new CopyProgress((rows) => watch.heartbeat(rows));
    watch.track(progress);
    // A connection lost while checked out is an 'error' event on the client; unheard, it would kill the process.
    const onConnectionLost = (error: Error) => stop.stop(error);
    const onAbort = () => stop.stop(signal.reason instanceof Error ? signal.reason : new HandBackError());
    client.on('error', onConnectionLost);
    signal.addEventListener('abort', onAbort);
    let clean = false;
    try {
      if (signal.aborted) throw signal.reason;
      await client.query('BEGIN READ ONLY ISOLATION LEVEL REPEATABLE READ');
      // A COPY of millions of rows outlasts any statement timeout; the stall detector bounds it instead.
      await client.query(LIFT_STATEMENT_TIMEOUT);
      await client.query(`SET LOCAL TIME ZONE ${client.escapeLiteral(record.timezone)}`);
      await client.query(exportPlanSettings(source));
      const select = exportSelect(source, record, (value) => client.escapeLiteral(value), traits.jsonLines);
      const parts = await copyToParts(
        client,
        exportCopy(select, traits.jsonLines),
        {
          traits,
          maxRowsPerFile: record.maxRowsPerFile,
          gzipLevel: this.settings.gzipLevel,
          objectKey: (part) => exportPartKey(record.accountId, record.id, record.run, part, traits.extension),
        },
        this.storage,
        stop,
        progress,
      );
      await client.query('COMMIT');
      clean = true;
      const split = parts.length > 1;
      return parts.map((part) => ({
        ...part,
        fileName: exportFileName(record.type, record.createdAt, record.id, traits.extension, split ? { part: part.part, of: parts.length } : undefined),
      }));
    } finally {
      signal.removeEventListener('abort', onAbort);
      client.off('error', onConnectionLost);
      // On failure the client is discarded, which ends its read-only transaction. No ROLLBACK:
      // a COPY cut off mid-stream still owns the connection, and a ROLLBACK would wait behind it forever.
      client.release(!clean);
    }
  }

  /** Best effort: what is left when storage is out of reach goes with the bucket's lifecycle rule. */
  private async discardRun(record: ExportEntity): Promise<void> {
    try {
      const left = await this.storage.discard(exportRunPrefix(record.accountId, record.id, record.run));
      if (left.objects || left.uploads) this.logger.log({ message: 'Removed what the attempt wrote', exportId: record.id, accountId: record.accountId, run: record.run, ...left });
    } catch (error) {
      this.logger.warn({ message: 'Could not remove what the attempt wrote', exportId: record.id, accountId: record.accountId, run: record.run, reason: (error as Error).message });
    }
  }

  private async removeSuperseded(record: ExportEntity, objectKey: string): Promise<void> {
    await this.storage.remove(objectKey).catch((error: unknown) => {
      this.logger.warn({ message: 'Could not remove the file of the previous run', exportId: record.id, accountId: record.accountId, reason: (error as Error).message });
    });
  }

  private async failRun(record: ExportEntity, code: ExportErrorCode, attempts: number): Promise<void> {
    if (await this.exports.fail(record.accountId, record.id, record.run, code, customerMessage(code, attempts))) {
      this.metrics?.exportsFinished.inc({ type: record.type, status: 'FAILED' });
      this.logger.warn({ message: 'Export failed', exportId: record.id, accountId: record.accountId, code, attempts });
    }
  }
}
