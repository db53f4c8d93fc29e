import { pipeline } from 'node:stream/promises';
import { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { CsvMeter } from '@exports/export-files';
import { ObjectStorage } from '@exports/storage';
import { StorageError } from './failure';
import { RunStop } from './run-watchdog';

export interface StoredFile {
  rowCount: number;
  sizeBytes: number;
  sha256: string;
}

/**
 * COPY (`select`) TO STDOUT as CSV with a header → `meter` → upload to `objectKey`, then a check
 * that the stored object has every byte. Errors: storage calls throw {@link StorageError}; a run
 * stopped through `stop` throws the stop's reason, whatever error the cut streams raised; anything
 * else is PostgreSQL's. The caller owns the transaction around it.
 */
export async function copyToObject(
  client: PoolClient,
  select: string,
  meter: CsvMeter,
  storage: Pick<ObjectStorage, 'upload' | 'stat'>,
  objectKey: string,
  stop: RunStop,
): Promise<StoredFile> {
  const copy = client.query(copyTo(`COPY (${select}) TO STDOUT WITH (FORMAT csv, HEADER true)`));
  stop.arm((reason) => {
    copy.destroy(reason);
    meter.destroy(reason);
  });
  const upload = storage.upload(objectKey, meter).catch((error: unknown) => {
    copy.destroy();
    throw new StorageError(error);
  });
  await Promise.all([pipeline(copy, meter), upload]).catch((error: unknown) => {
    throw stop.reason ?? error;
  });
  const stored = await storage.stat(objectKey).catch((error: unknown) => {
    throw new StorageError(error);
  });
  if (!stored || stored.size !== meter.sizeBytes) {
    throw new StorageError(new Error(`stored object has ${stored?.size ?? 'no'} bytes, expected ${meter.sizeBytes}`));
  }
  return { rowCount: meter.rows, sizeBytes: meter.sizeBytes, sha256: meter.digest() };
}
