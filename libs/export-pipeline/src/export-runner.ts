import { Logger } from '@nestjs/common';
import { Pool } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { ExportErrorCode, ExportRequestedEvent, ExportStatus, ExportType } from '@exports/contracts';
import { ExportEntity, ExportsRepository, LIFT_STATEMENT_TIMEOUT } from '@exports/database';
import { CsvMeter, exportFileName, exportObjectKey } from '@exports/export-files';
import { Metrics } from '@exports/platform';
import { ObjectStorage } from '@exports/storage';
import { ExportSource } from './export-source';
import { classifyFailure, customerMessage, StallError, StorageError } from './failure';

export interface ExportRunnerSettings {
  maxAttempts: number;
  linkTtlSeconds: number;
  retentionSeconds: number;
  /** A run that moves no byte for this long is abandoned as TIMEOUT (and retried). */
  stallSeconds: number;
  /** An attempt that heartbeated this recently owns the export; a redelivery waits for it. */
  leaseSeconds: number;
  /** How often progress and the heartbeat are written while a file streams. */
  heartbeatMs?: number;
}

/** The run was stopped because this worker is shutting down: hand it to another one. */
export class HandBackError extends Error {
  constructor() {
    super('worker shutting down');
    this.name = 'HandBackError';
  }
}

/** What the consumer does with the message after a run. */
export type RunOutcome =
  | { kind: 'done' }
  | { kind: 'retry'; delayMs: number }
  /** Not (yet) visible in the registry: try again shortly, then give up. */
  | { kind: 'unknown' };

export interface RunHooks {
  /** Tells the bus the run is alive so the message is not handed to another worker. */
  working(): void;
}

/**
 * Produces one run of an export: COPY from PostgreSQL → CsvMeter (rows, bytes,
 * sha256) → multipart upload, then the conditional PENDING → COMPLETED write.
 * The object key is the same for every run of an export, so a repeated or
 * duplicate run replaces the object rather than leaving a second one. Lifecycle
 * events leave through the outbox, written with the status change.
 */
export class ExportRunner {
  private readonly logger = new Logger(ExportRunner.name);
  private readonly sources: Map<ExportType, ExportSource>;
  private readonly active = new Set<AbortController>();

  constructor(
    private readonly pool: Pool,
    private readonly exports: ExportsRepository,
    private readonly storage: ObjectStorage,
    private readonly settings: ExportRunnerSettings,
    sources: ExportSource[],
    private readonly metrics?: Metrics,
  ) {
    this.sources = new Map(sources.map((source) => [source.type, source]));
  }

  async run(event: ExportRequestedEvent, hooks: RunHooks): Promise<RunOutcome> {
    const context = { exportId: event.exportId, accountId: event.accountId, run: event.run };
    const record = await this.exports.startAttempt(event.accountId, event.exportId, event.run, this.settings.leaseSeconds);
    if (!record) {
      const existing = await this.exports.findOne(event.accountId, event.exportId);
      if (!existing) return { kind: 'unknown' };
      if (existing.status === ExportStatus.Pending && existing.run === event.run) {
        this.logger.log({ message: 'Export is being run by another worker; delivery deferred', ...context });
        return { kind: 'retry', delayMs: (this.settings.leaseSeconds * 1000) / 2 };
      }
      this.logger.log({ message: 'Export is not pending in this run; delivery ignored', ...context, status: existing.status });
      return { kind: 'done' };
    }
    if (record.attempts > this.settings.maxAttempts) {
      // Earlier attempts died or froze without reporting: give up rather than loop.
      await this.failRun(record, ExportErrorCode.Timeout, record.attempts - 1);
      return { kind: 'done' };
    }

    const started = Date.now();
    const abort = new AbortController();
    this.active.add(abort);
    try {
      const file = await this.produce(record, hooks, abort.signal);
      const completed = await this.exports.complete(record.accountId, record.id, record.run, {
        ...file,
        linkTtlSeconds: this.settings.linkTtlSeconds,
        retentionSeconds: this.settings.retentionSeconds,
      });
      if (completed) {
        this.logger.log({ message: 'Export completed', ...context, rowCount: file.rowCount, sizeBytes: file.sizeBytes, ms: Date.now() - started });
        this.metrics?.exportsFinished.inc({ type: record.type, status: 'COMPLETED' });
        this.metrics?.exportDuration.observe({ type: record.type }, (Date.now() - started) / 1000);
        this.metrics?.exportRows.inc({ type: record.type }, file.rowCount);
      } else {
        this.logger.log({ message: 'Export was finished by another run; this run changed nothing', ...context });
      }
      return { kind: 'done' };
    } catch (error) {
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
    } finally {
      this.active.delete(abort);
    }
  }

  /** Stops every run in progress; each is handed back to the bus for another worker. */
  handBackAll(): void {
    for (const abort of this.active) abort.abort(new HandBackError());
  }

  get activeRuns(): number {
    return this.active.size;
  }

  private async produce(record: ExportEntity, hooks: RunHooks, signal: AbortSignal) {
    const source = this.sources.get(record.type);
    if (!source) throw new Error(`No export source for ${record.type}`);
    const fileName = exportFileName(record.type, record.createdAt, record.id);
    const objectKey = exportObjectKey(record.accountId, record.id, fileName);
    const client = await this.pool.connect();
    let clean = false;
    let rowsSoFar = 0;
    let shown = false;
    const meter = new CsvMeter((rows) => {
      rowsSoFar = rows;
      // The first rows are shown at once (a poller sees the run move); then once per heartbeat.
      if (!shown && rows > 0) {
        shown = true;
        this.exports.heartbeat(record.accountId, record.id, record.run, rows).catch(() => undefined);
      }
    }, 250);
    let stoppedWith: Error | undefined;
    let stop: (error: Error) => void = (error) => (stoppedWith = error);
    // A connection lost while checked out is an 'error' event on the client; unheard, it would kill the process.
    const onConnectionLost = (error: Error) => stop(error);
    client.on('error', onConnectionLost);
    let lastBytes = -1;
    let lastMoved = Date.now();
    // Heartbeats go out only while bytes move: a stuck run stops telling the bus it is alive.
    const heartbeat = setInterval(() => {
      if (meter.sizeBytes !== lastBytes) {
        lastBytes = meter.sizeBytes;
        lastMoved = Date.now();
      } else if (Date.now() - lastMoved > this.settings.stallSeconds * 1000) {
        stop(new StallError(this.settings.stallSeconds));
        return;
      }
      hooks.working();
      this.exports.heartbeat(record.accountId, record.id, record.run, rowsSoFar).catch(() => undefined);
    }, this.settings.heartbeatMs ?? 1000);
    const onAbort = () => stop(signal.reason instanceof Error ? signal.reason : new HandBackError());
    signal.addEventListener('abort', onAbort);
    try {
      if (signal.aborted) throw signal.reason;
      await client.query('BEGIN READ ONLY ISOLATION LEVEL REPEATABLE READ');
      // A COPY of millions of rows outlasts any statement timeout; the stall detector bounds it instead.
      await client.query(LIFT_STATEMENT_TIMEOUT);
      await client.query(`SET LOCAL TIME ZONE ${client.escapeLiteral(record.timezone)}`);
      const sql = source.query(record, (value) => client.escapeLiteral(value));
      const copy = client.query(copyTo(`COPY (${sql}) TO STDOUT WITH (FORMAT csv, HEADER true)`));
      stop = (error) => {
        stoppedWith = error;
        copy.destroy(error);
        meter.destroy(error);
      };
      const upload = this.storage.upload(objectKey, meter).catch((error: unknown) => {
        copy.destroy();
        throw new StorageError(error);
      });
      await Promise.all([pipeline(copy, meter), upload]).catch((error: unknown) => {
        throw stoppedWith ?? error;
      });
      await client.query('COMMIT');
      clean = true;
      const stored = await this.storage.stat(objectKey).catch((error: unknown) => {
        throw new StorageError(error);
      });
      if (!stored || stored.size !== meter.sizeBytes) {
        throw new StorageError(new Error(`stored object has ${stored?.size ?? 'no'} bytes, expected ${meter.sizeBytes}`));
      }
      return { rowCount: meter.rows, sizeBytes: meter.sizeBytes, sha256: meter.digest(), fileName, objectKey };
    } finally {
      clearInterval(heartbeat);
      signal.removeEventListener('abort', onAbort);
      client.off('error', onConnectionLost);
      // On failure the client is discarded, which ends its read-only transaction. No ROLLBACK:
      // a COPY cut off mid-stream still owns the connection, and a ROLLBACK would wait behind it forever.
      client.release(!clean);
    }
  }

  private async failRun(record: ExportEntity, code: ExportErrorCode, attempts: number): Promise<void> {
    if (await this.exports.fail(record.accountId, record.id, record.run, code, customerMessage(code, attempts))) {
      this.metrics?.exportsFinished.inc({ type: record.type, status: 'FAILED' });
      this.logger.warn({ message: 'Export failed', exportId: record.id, accountId: record.accountId, code, attempts });
    }
  }
}
