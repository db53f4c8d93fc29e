import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { databaseUnavailable } from './database-errors';
import { DomainError, envelopeOf, ErrorEnvelope, reasonPhrase } from './errors';

/** Maps anything thrown on the HTTP side to the one error envelope. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const envelope = this.toEnvelope(exception);
    if (envelope.status === 429 && typeof envelope.retryAfter === 'number') {
      response.setHeader('Retry-After', String(envelope.retryAfter));
    }
    response.status(envelope.status).json(envelope);
  }

  toEnvelope(exception: unknown): ErrorEnvelope {
    if (exception instanceof DomainError) return envelopeOf(exception);
    const unavailable = databaseUnavailable(exception);
    if (unavailable) {
      this.logger.warn({ message: unavailable.message, reason: exception instanceof Error ? exception.message : String(exception) });
      return envelopeOf(unavailable);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status < 500) return { status, error: reasonPhrase(status), message: messageOf(exception) };
    }
    const bodyParserStatus = clientStatusOf(exception);
    if (bodyParserStatus) {
      return {
        status: bodyParserStatus,
        error: reasonPhrase(bodyParserStatus),
        message: bodyParserStatus === 413 ? 'The request body is too large' : 'The request body is not valid JSON',
      };
    }
    const errorId = randomUUID();
    this.logger.error({ message: 'Unhandled error', errorId, error: describe(exception) });
    return { status: 500, error: reasonPhrase(500), message: 'Something went wrong on our side; quote the errorId to support', errorId };
  }
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  return Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : exception.message;
}

/** body-parser errors carry `status` and `type` (entity.parse.failed, entity.too.large, ...). */
function clientStatusOf(exception: unknown): number | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { status, type } = exception as { status?: unknown; type?: unknown };
  if (typeof type === 'string' && typeof status === 'number' && status >= 400 && status < 500) return status;
  return undefined;
}

function describe(exception: unknown): Record<string, unknown> {
  return exception instanceof Error ? { name: exception.name, message: exception.message, stack: exception.stack } : { value: String(exception) };
}
