import { ExportErrorCode } from '@exports/contracts';

/** PostgreSQL connection-class SQLSTATEs and socket errors mean the source is out of reach. */
const SOURCE_CODES = /^(08|57P0|53300)/;
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

export class StorageError extends Error {
  constructor(override readonly cause: unknown) {
    super(`object storage: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'StorageError';
  }
}

/** No byte moved for too long: the source or the storage is stuck. */
export class StallError extends Error {
  constructor(seconds: number) {
    super(`no progress for ${seconds} s`);
    this.name = 'StallError';
  }
}

export function classifyFailure(error: unknown): ExportErrorCode {
  if (error instanceof StallError) return ExportErrorCode.Timeout;
  // Storage calls wrap their errors; a bare socket error here came from PostgreSQL.
  if (error instanceof StorageError) return ExportErrorCode.StorageUnavailable;
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  if (code && (SOURCE_CODES.test(code) || SOCKET_CODES.has(code))) return ExportErrorCode.SourceUnavailable;
  // pg's own words for a connection that broke (or broke earlier: "... is not queryable").
  if (/Connection terminated|connection timeout|terminating connection|connection error and is not queryable/i.test(message ?? '')) return ExportErrorCode.SourceUnavailable;
  return ExportErrorCode.Internal;
}

/** Messages a customer can act on: what happened, and what to do. */
export function customerMessage(code: ExportErrorCode, attempts: number): string {
  switch (code) {
    case ExportErrorCode.StorageUnavailable:
      return `File storage was unavailable during ${attempts} attempt(s); the export was not produced. Retry it with POST /exports/{exportId}.`;
    case ExportErrorCode.SourceUnavailable:
      return `The data source was unavailable during ${attempts} attempt(s); the export was not produced. Retry it with POST /exports/{exportId}.`;
    case ExportErrorCode.Timeout:
      return `The export stopped making progress ${attempts} time(s) and was abandoned. Retry it with POST /exports/{exportId}; narrow the filters if it keeps happening.`;
    default:
      return `The export failed ${attempts} time(s) with an internal error. Retry it with POST /exports/{exportId}, or contact support if it keeps failing.`;
  }
}
