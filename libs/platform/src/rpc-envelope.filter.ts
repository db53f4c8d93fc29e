import { ArgumentsHost, Catch, Logger, RpcExceptionFilter } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Observable, throwError } from 'rxjs';
import { databaseUnavailable } from './database-errors';
import { DomainError, envelopeOf, ErrorEnvelope, reasonPhrase } from './errors';

/**
 * Request-reply errors travel as the HTTP envelope `{ status, error, message, details? }`,
 * so a caller (the gateway, another service) reads them the same way. An unexpected
 * error is logged under an errorId that the reply carries; no stack leaves the service.
 */
@Catch()
export class RpcEnvelopeFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('RpcEnvelopeFilter');

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => this.toEnvelope(exception));
  }

  toEnvelope(exception: unknown): ErrorEnvelope {
    if (exception instanceof DomainError) return envelopeOf(exception);
    const unavailable = databaseUnavailable(exception);
    if (unavailable) {
      this.logger.warn({ message: unavailable.message, reason: exception instanceof Error ? exception.message : String(exception) });
      return envelopeOf(unavailable);
    }
    const errorId = randomUUID();
    const error = exception instanceof Error ? { name: exception.name, message: exception.message, stack: exception.stack } : { value: String(exception) };
    this.logger.error({ message: 'Unhandled error', errorId, error });
    return { status: 500, error: reasonPhrase(500), message: 'Something went wrong on our side; quote the errorId to support', errorId };
  }
}
