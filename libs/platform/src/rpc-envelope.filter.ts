import { ArgumentsHost, Catch, Logger, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';
import { knownEnvelope, unexpectedEnvelope } from './error-envelopes';
import { ErrorEnvelope } from './errors';

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
    return knownEnvelope(exception, this.logger) ?? unexpectedEnvelope(exception, this.logger);
  }
}
