import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { databaseUnavailable } from './database-errors';
import { DomainError, envelopeOf, ErrorCode, ErrorEnvelope, reasonPhrase } from './errors';

/**
 * The envelope of what every entry point answers the same way: a domain error as it is, a
 * database outage as a 503 (logged as a warning). Undefined for anything else.
 */
export function knownEnvelope(exception: unknown, logger: Logger): ErrorEnvelope | undefined {
  if (exception instanceof DomainError) return envelopeOf(exception);
  const unavailable = databaseUnavailable(exception);
  if (!unavailable) return undefined;
  logger.warn({ message: unavailable.message, reason: exception instanceof Error ? exception.message : String(exception) });
  return envelopeOf(unavailable);
}

/** A 500 for an error nobody expected: logged whole under an errorId that the answer carries, no stack in the answer. */
export function unexpectedEnvelope(exception: unknown, logger: Logger): ErrorEnvelope {
  const errorId = randomUUID();
  const error = exception instanceof Error ? { name: exception.name, message: exception.message, stack: exception.stack } : { value: String(exception) };
  logger.error({ message: 'Unhandled error', errorId, error });
  return { status: 500, error: reasonPhrase(500), code: ErrorCode.Internal, message: 'Something went wrong on our side; quote the errorId to support', errorId };
}
