import { createHash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';

/** Passes bytes through unchanged while counting them and hashing them (SHA-256): what a stored file is. */
export class ByteMeter extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;

  get sizeBytes(): number {
    return this.bytes;
  }

  /** Hex SHA-256; valid once the stream has ended. */
  digest(): string {
    return this.hash.digest('hex');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}
