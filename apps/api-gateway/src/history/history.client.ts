import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import { accountSubject, BrowseMessageHistoryQueryDto, errorCodeOfStatus, BrowseMessageHistoryRequest, MessageHistoryPageDto, NatsNamespace, Subjects } from '@exports/contracts';
import { AppConfig, DomainError, ErrorCode, FieldError } from '@exports/platform';

export const HISTORY_NATS_CLIENT = Symbol('HISTORY_NATS_CLIENT');

/** How long a browse may wait for history-service before the customer gets a 503. */
export const HISTORY_TIMEOUT_MS = 5_000;

/** history-service over NATS request-reply (`history.browse`), its error envelopes turned back into domain errors. */
@Injectable()
export class HistoryClient implements OnApplicationBootstrap {
  private readonly logger = new Logger(HistoryClient.name);
  private readonly namespace: NatsNamespace;

  constructor(
    @Inject(HISTORY_NATS_CLIENT) private readonly client: ClientProxy,
    config: AppConfig,
  ) {
    this.namespace = new NatsNamespace(config.NATS_NAMESPACE);
  }

  /** Connects early so the first browse does not pay for it; a failure here is retried on the next send. */
  async onApplicationBootstrap(): Promise<void> {
    await this.client.connect().catch((error: unknown) => this.logger.warn({ message: 'NATS request client not connected yet', reason: (error as Error)?.message }));
  }

  async browse(accountId: string, query: BrowseMessageHistoryQueryDto): Promise<MessageHistoryPageDto> {
    const request: BrowseMessageHistoryRequest = { ...query, accountId };
    try {
      return await firstValueFrom(this.client.send<MessageHistoryPageDto, BrowseMessageHistoryRequest>(this.namespace.subject(accountSubject(Subjects.requests.historyBrowse, accountId)), request).pipe(timeout(HISTORY_TIMEOUT_MS)));
    } catch (error) {
      const envelope = envelopeIn(error);
      if (envelope) {
        const { status, error: _reason, code, message, details, ...extra } = envelope;
        throw new DomainError(isErrorCode(code) ? code : errorCodeOfStatus(status), message, details, extra);
      }
      const reason = error instanceof TimeoutError ? `no answer within ${HISTORY_TIMEOUT_MS} ms` : ((error as Error)?.message ?? String(error));
      this.logger.warn({ message: 'Message history unavailable', accountId, reason });
      throw new DomainError(ErrorCode.Unavailable, 'Message history is not available right now; retry in a few seconds');
    }
  }
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
