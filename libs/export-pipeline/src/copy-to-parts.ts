import { once } from 'node:events';
import { Transform } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { FormatTraits } from '@exports/contracts';
import { ByteMeter, RecordScanner } from '@exports/export-files';
import { ObjectStorage } from '@exports/storage';
import { StorageError } from './failure';
import { RunStop } from './run-watchdog';

/** One file of a run as stored: its part number (from 1), key, data rows, bytes and SHA-256 as stored. */
export interface StoredPart {
  part: number;
  objectKey: string;
  rowCount: number;
  sizeBytes: number;
  sha256: string;
}

/** How a run's rows become files. */
export interface PartsPlan {
  traits: FormatTraits;
  /** Data rows per file; a file is cut on a row boundary once it holds this many and more rows follow. */
  maxRowsPerFile: number;
  /** gzip level (1 fastest .. 9 smallest) of a compressed format. */
  gzipLevel: number;
  objectKey(part: number): string;
}

/** What a run has read from PostgreSQL so far: the watchdog reads it, the heartbeat writes `rows`. */
export class CopyProgress {
  rows = 0;
  bytes = 0;

  /** `firstRows` is told once, when the first rows have been read (a poller sees the run move at once). */
  constructor(private readonly firstRows?: (rows: number) => void) {}

  add(rows: number, bytes: number): void {
    const before = this.rows;
    this.rows += rows;
    this.bytes += bytes;
    if (before === 0 && this.rows > 0) this.firstRows?.(this.rows);
  }
}

type Storage = Pick<ObjectStorage, 'upload' | 'stat'>;

/**
 * Streams `COPY ... TO STDOUT` (`copySql`, CSV with its header or JSON Lines) into one or more
 * objects: a file is cut after `maxRowsPerFile` data rows, on a record boundary, and each CSV part
 * starts with the header. Parts are written one after the other, each through gzip when the format
 * is compressed, then metered (bytes, SHA-256) and uploaded; memory holds one part's upload
 * buffers, whatever the size. An export with no rows is one file (the header alone, or empty).
 * Errors: storage calls throw {@link StorageError}; a run stopped through `stop` throws the stop's
 * reason; anything else is PostgreSQL's. It throws only once the upload in flight has settled
 * (at most {@link UPLOAD_SETTLE_MS}), so the caller's clean-up finds what it wrote. The caller owns
 * the transaction around it.
 */
export async function copyToParts(client: PoolClient, copySql: string, plan: PartsPlan, storage: Storage, stop: RunStop, progress: CopyProgress): Promise<StoredPart[]> {
  const copy = client.query(copyTo(copySql));
  const parts: StoredPart[] = [];
  let current = new PartUpload(1, plan, storage, stop);
  stop.arm((reason) => {
    copy.destroy(reason);
    current.destroy(reason);
  });
  const scanner = new RecordScanner(!plan.traits.jsonLines);
  // CSV: the header record, repeated at the start of every later part.
  let header: Buffer | undefined;
  const headerPieces: Buffer[] | undefined = plan.traits.jsonLines ? undefined : [];
  try {
    for await (const chunk of copy as AsyncIterable<Buffer>) {
      let at = 0;
      if (headerPieces && !header) {
        const { records, end } = scanner.scan(chunk, 0, 1);
        const piece = chunk.subarray(0, records ? end : chunk.length);
        headerPieces.push(Buffer.from(piece));
        await current.write(piece);
        at = piece.length;
        if (records) header = Buffer.concat(headerPieces);
      }
      while (at < chunk.length) {
        if (current.rows === plan.maxRowsPerFile) {
          parts.push(await current.finish());
          current = new PartUpload(parts.length + 1, plan, storage, stop);
          if (header) await current.write(header);
        }
        const room = plan.maxRowsPerFile - current.rows;
        const { records, end } = scanner.scan(chunk, at, room);
        // A full part ends at its last row; otherwise the rest of the chunk (a row begun) is its.
        const upTo = records === room ? end : chunk.length;
        await current.write(chunk.subarray(at, upTo));
        current.rows += records;
        progress.add(records, upTo - at);
        at = upTo;
      }
    }
    parts.push(await current.finish());
    return parts;
  } catch (error) {
    // What stopped the run, taken before the upload is torn down: its own failure (the stream
    // destroyed under it) would otherwise stand in for the real cause, a failed COPY.
    const cause = stop.reason ?? error;
    current.destroy();
    // A request of the upload may still be in flight (the multipart upload being created, a part,
    // the final PUT or completion): the caller discards what the run wrote once this throws, so
    // the upload must have settled (aborted, or landed) first, or what lands after is left behind.
    await current.settled(UPLOAD_SETTLE_MS);
    throw cause;
  }
}

/**
 * How long a stopped run waits for its upload in flight to settle before giving up on it (a storage
 * that does not answer): well under the lease (`EXPORT_ACK_WAIT_SECONDS`) and the shutdown grace.
 * What lands after that is left to the bucket's lifecycle rule.
 */
export const UPLOAD_SETTLE_MS = 5_000;

/** Bytes a part's streams hold before the COPY waits: room for a few socket reads of PostgreSQL while the upload copies. */
const PART_STREAM_BUFFER = 256 * 1024;

/** One object being written: bytes in → gzip (compressed formats) → meter → upload. */
class PartUpload {
  /** Data rows written into this part. */
  rows = 0;
  readonly objectKey: string;
  /** Where the part's bytes are written: the gzip stream, or the meter itself for a plain format. */
  private readonly input: Transform;
  private readonly meter = new ByteMeter({ highWaterMark: PART_STREAM_BUFFER });
  private readonly done: Promise<unknown>;
  /** The upload alone: settles once its last request has (the object stored, or the upload aborted). */
  private readonly stored: Promise<unknown>;

  constructor(
    readonly part: number,
    plan: PartsPlan,
    private readonly storage: Storage,
    stop: RunStop,
  ) {
    this.objectKey = plan.objectKey(part);
    this.input = plan.traits.gzip ? createGzip({ level: plan.gzipLevel }) : this.meter;
    const upload = storage.upload(this.objectKey, this.meter, plan.traits.contentType).catch((error: unknown) => {
      const failure = new StorageError(error);
      // Stops the COPY too: nothing more can be stored in this run.
      stop.stop(failure);
      throw failure;
    });
    this.stored = upload.catch(() => undefined);
    this.done = Promise.all([this.input === this.meter ? finished(this.meter) : pipeline(this.input, this.meter), upload]);
    // Observed by write and finish; a failure while the COPY is read is not an unhandled rejection.
    this.done.catch(() => undefined);
  }

  /** Writes `bytes`, waiting while the upload is behind (or failing when it failed). */
  async write(bytes: Buffer): Promise<void> {
    if (bytes.length === 0 || this.input.write(bytes)) return;
    await Promise.race([once(this.input, 'drain'), this.done]);
  }

  /** Ends the part and checks the stored object has every byte. */
  async finish(): Promise<StoredPart> {
    this.input.end();
    await this.done;
    const stored = await this.storage.stat(this.objectKey).catch((error: unknown) => {
      throw new StorageError(error);
    });
    if (!stored || stored.size !== this.meter.sizeBytes) {
      throw new StorageError(new Error(`stored object ${this.objectKey} has ${stored?.size ?? 'no'} bytes, expected ${this.meter.sizeBytes}`));
    }
    return { part: this.part, objectKey: this.objectKey, rowCount: this.rows, sizeBytes: this.meter.sizeBytes, sha256: this.meter.digest() };
  }

  destroy(reason?: Error): void {
    this.input.destroy(reason);
    this.meter.destroy(reason);
  }

  /** Resolves once the upload has settled, or after `timeoutMs`, whichever comes first; never rejects. */
  async settled(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    try {
      await Promise.race([this.stored, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
