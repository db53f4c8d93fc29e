import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { knownEnvelope, unexpectedEnvelope } from './error-envelopes';
import { errorCodeOfStatus } from '@exports/contracts';
import { ErrorEnvelope, reasonPhrase } from './errors';

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
    const known = knownEnvelope(exception, this.logger);
    if (known) return known;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status < 500) return { status, error: reasonPhrase(status), code: errorCodeOfStatus(status), message: messageOf(exception) };
    }
    const bodyParserStatus = clientStatusOf(exception);
    if (bodyParserStatus) {
      return {
        status: bodyParserStatus,
        error: reasonPhrase(bodyParserStatus),
        code: errorCodeOfStatus(bodyParserStatus),
        message: bodyParserStatus === 413 ? 'The request body is too large' : 'The request body is not valid JSON',
      };
    }
    return unexpectedEnvelope(exception, this.logger);
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
