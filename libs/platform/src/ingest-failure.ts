import { sqlStateOf } from './database-errors';
import { DomainError } from './errors';

/** Delays between deliveries of a batch that failed for a reason other than its data. */
export interface RetryBackoff {
  baseMs: number;
  maxMs: number;
}

/**
 * How long to wait before delivering again a message already delivered `deliveryCount` times:
 * base, 2 × base, 4 × base, ... never more than max.
 */
export function retryDelayMs(deliveryCount: number, { baseMs, maxMs }: RetryBackoff): number {
  const doublings = Math.min(Math.max(deliveryCount, 1) - 1, 40);
  return Math.min(maxMs, baseMs * 2 ** doublings);
}

/**
 * SQLSTATE class 22 (data exception) or 23 (integrity constraint): the event, not the database,
 * is at fault, and writing it again will fail again. Anything else (connection refused or lost,
 * timeouts, NATS unavailable, a bug) is worth retrying and never makes an event be given up.
 */
export function isDataError(error: unknown): boolean {
  return /^2[23]/.test(sqlStateOf(error) ?? '');
}

/** What is wrong with an event, in one line: the fields that failed validation, or what PostgreSQL said. */
export function rejectionReason(error: unknown): string {
  if (error instanceof DomainError) {
    const details = (error.details ?? []).map((detail) => detail.message);
    return [error.message, ...details].join('; ');
  }
  const message = error instanceof Error ? error.message : String(error);
  const sqlState = sqlStateOf(error);
  return sqlState ? `PostgreSQL refused the event (SQLSTATE ${sqlState}): ${message}` : message;
}
