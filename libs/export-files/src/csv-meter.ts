import { createHash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';

const QUOTE = 0x22;
const NEWLINE = 0x0a;

/**
 * Passes CSV bytes through unchanged while counting records (newlines outside
 * quoted fields), bytes and the SHA-256 of the whole file. `onRows` is called
 * with the number of data rows so far at most every `progressEveryMs`.
 */
export class CsvMeter extends Transform {
  private readonly hash = createHash('sha256');
  private inQuotes = false;
  private records = 0;
  private bytes = 0;
  private lastReport = 0;

  constructor(
    private readonly onRows?: (rows: number) => void,
    private readonly progressEveryMs = 1000,
  ) {
    super();
  }

  /** Data rows written so far (the header line is not a row). */
  get rows(): number {
    return Math.max(0, this.records - 1);
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** Hex SHA-256; valid once the stream has ended. */
  digest(): string {
    return this.hash.digest('hex');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count(chunk);
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.onRows) {
      const now = Date.now();
      if (now - this.lastReport >= this.progressEveryMs) {
        this.lastReport = now;
        this.onRows(this.rows);
      }
    }
    callback(null, chunk);
  }

  private count(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.inQuotes) {
        const close = chunk.indexOf(QUOTE, at);
        if (close === -1) return;
        this.inQuotes = false;
        at = close + 1;
        continue;
      }
      const quote = chunk.indexOf(QUOTE, at);
      const end = quote === -1 ? chunk.length : quote;
      let newline = chunk.indexOf(NEWLINE, at);
      while (newline !== -1 && newline < end) {
        this.records += 1;
        newline = chunk.indexOf(NEWLINE, newline + 1);
      }
      if (quote === -1) return;
      this.inQuotes = true;
      at = quote + 1;
    }
  }
}
