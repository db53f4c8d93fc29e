import { DomainError, ErrorCode } from './errors';

/** query_canceled: the statement timeout (DATABASE_STATEMENT_TIMEOUT_MS) stopped the statement. */
export const QUERY_CANCELED = '57014';

/**
 * A database failure that is the database being slow or gone, not a bug: the 503 a client
 * may retry, with no detail of the query. Anything else is left to the 500 path.
 */
export function databaseUnavailable(exception: unknown): DomainError | undefined {
  const code = sqlStateOf(exception);
  if (code === QUERY_CANCELED) {
    return new DomainError(ErrorCode.Unavailable, 'The request took too long in the database and was stopped; retry in a few seconds, or narrow it');
  }
  // Class 08: connection exceptions.
  if (code?.startsWith('08')) return new DomainError(ErrorCode.Unavailable, 'The database is not reachable right now; retry in a few seconds');
  return undefined;
}

/** The SQLSTATE of a PostgreSQL error, as pg (`code`) or a TypeORM QueryFailedError (`driverError`) carries it. */
export function sqlStateOf(error: unknown): string | undefined {
  const { code, driverError } = (error ?? {}) as { code?: unknown; driverError?: { code?: unknown } };
  return [code, driverError?.code].find((c): c is string => typeof c === 'string' && /^[0-9A-Z]{5}$/.test(c));
}
