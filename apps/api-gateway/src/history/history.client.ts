import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { ErrorCode as NatsErrorCode, NatsError } from 'nats';
import { accountSubject, BrowseMessageHistoryQueryDto, errorCodeOfStatus, BrowseMessageHistoryRequest, MessageHistoryPageDto, NatsNamespace, Subjects } from '@exports/contracts';
import { AppConfig, DomainError, ErrorCode, FieldError, JetStream } from '@exports/platform';

/** How long a browse may wait for history-service before the customer gets a 503. */
export const HISTORY_TIMEOUT_MS = 5_000;

/**
 * history-service over NATS request-reply (`history.browse`, in the request-reply format of
 * docs/API.md: `{ id, data }` out, `{ id, response | err, isDisposed }` back), its error envelopes
 * turned back into domain errors. Sent with the nats client's own request on the app's connection:
 * the replies of every request share one inbox subscription, where Nest's client proxy subscribes
 * and unsubscribes an inbox per request (two more writes to the server each time) and runs each
 * request through rxjs.
 */
@Injectable()
export class HistoryClient {
  private readonly logger = new Logger(HistoryClient.name);
  private readonly namespace: NatsNamespace;

  constructor(
    private readonly jetStream: JetStream,
    config: AppConfig,
  ) {
    this.namespace = new NatsNamespace(config.NATS_NAMESPACE);
  }

  async browse(accountId: string, query: BrowseMessageHistoryQueryDto): Promise<MessageHistoryPageDto> {
    const request: BrowseMessageHistoryRequest = { ...query, accountId };
    const subject = this.namespace.subject(accountSubject(Subjects.requests.historyBrowse, accountId));
    let reply: NestReply;
    try {
      const message = await this.jetStream.connection.request(subject, JSON.stringify({ id: randomUUID(), data: request }), { timeout: HISTORY_TIMEOUT_MS });
      reply = JSON.parse(message.string()) as NestReply;
    } catch (error) {
      const timedOut = error instanceof NatsError && error.code === NatsErrorCode.Timeout;
      const reason = timedOut ? `no answer within ${HISTORY_TIMEOUT_MS} ms` : ((error as Error)?.message ?? String(error));
      throw this.unavailable(accountId, reason);
    }
    const envelope = envelopeIn(reply.err);
    if (envelope) {
      const { status, error: _reason, code, message, details, ...extra } = envelope;
      throw new DomainError(isErrorCode(code) ? code : errorCodeOfStatus(status), message, details, extra);
    }
    if (reply.err !== undefined || typeof reply.response !== 'object' || reply.response === null) {
      throw this.unavailable(accountId, `unexpected reply: ${JSON.stringify(reply.err ?? reply.response ?? null).slice(0, 200)}`);
    }
    return reply.response as MessageHistoryPageDto;
  }

  private unavailable(accountId: string, reason: string): DomainError {
    this.logger.warn({ message: 'Message history unavailable', accountId, reason });
    return new DomainError(ErrorCode.Unavailable, 'Message history is not available right now; retry in a few seconds');
  }
}

/** A reply of Nest's NATS transport: the handler's answer, or the error envelope it was turned into. */
interface NestReply {
  id?: string;
  response?: unknown;
  err?: unknown;
  isDisposed?: boolean;
}

interface ReplyEnvelope {
  status: number;
  error: string;
  code?: unknown;
  message: string;
  details?: FieldError[];
  [extra: string]: unknown;
}

function envelopeIn(error: unknown): ReplyEnvelope | undefined {
  if (typeof error !== 'object' || error === null || error instanceof Error) return undefined;
  const { status, message } = error as { status?: unknown; message?: unknown };
  return typeof status === 'number' && status >= 400 && status < 600 && typeof message === 'string' ? (error as ReplyEnvelope) : undefined;
}

const ERROR_CODES = new Set<unknown>(Object.values(ErrorCode));

function isErrorCode(value: unknown): value is ErrorCode {
  return ERROR_CODES.has(value);
}
