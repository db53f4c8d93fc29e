import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  CreateWebhookDto,
  ListWebhooksQueryDto,
  WebhookDeliveryDto,
  WebhookDeliveryPageDto,
  WebhookEndpointDto,
  WebhookEndpointWithSecretDto,
  WebhookPageDto,
  webhookUrlProblem,
} from '@exports/contracts';
import { WebhookDeliveryRecord, WebhookEndpointRecord, WebhooksRepository } from '@exports/database';
import { AppConfig, DomainError, ErrorCode, SecretBox } from '@exports/platform';

/** What the use cases need of the repository: the app injects the real one. */
export type WebhookRegistry = Pick<WebhooksRepository, 'create' | 'list' | 'findOne' | 'delete' | 'rotateSecret' | 'deliveries'>;

/** A new signing secret in the Standard Webhooks format: `whsec_` and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The webhook endpoints of an account: register, list, read, delete, rotate the secret, list deliveries. */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger(WebhooksService.name);

  constructor(
    @Inject(WebhooksRepository) private readonly webhooks: WebhookRegistry,
    private readonly secrets: SecretBox,
    private readonly config: AppConfig,
  ) {}

  async create(accountId: string, request: CreateWebhookDto): Promise<WebhookEndpointWithSecretDto> {
    const problem = webhookUrlProblem(request.url, this.config.WEBHOOK_ALLOW_INSECURE);
    if (problem) throw new DomainError(ErrorCode.Validation, `The request is not valid: url`, [{ field: 'url', message: problem }]);
    const secret = newWebhookSecret();
    const max = this.config.WEBHOOK_MAX_PER_ACCOUNT;
    const { record } = await this.webhooks.create(accountId, { url: request.url, events: request.events, secretSealed: this.secrets.seal(secret) }, max);
    if (!record) throw new DomainError(ErrorCode.TooManyWebhooks, `The account already has ${max} webhook endpoints (limit ${max}); delete one first`);
    this.logger.log({ message: 'Webhook endpoint created', accountId, webhookId: record.id, events: record.events });
    return { ...toWebhookEndpoint(record), secret };
  }

  async list(accountId: string, query: ListWebhooksQueryDto): Promise<WebhookPageDto> {
    const { items, totalItems } = await this.webhooks.list(accountId, query.page, query.limit);
    return { items: items.map(toWebhookEndpoint), page: query.page, limit: query.limit, totalItems };
  }

  async get(accountId: string, webhookId: string): Promise<WebhookEndpointDto> {
    const record = await this.webhooks.findOne(accountId, webhookId);
    if (!record) throw notFound(webhookId);
    return toWebhookEndpoint(record);
  }

  async delete(accountId: string, webhookId: string): Promise<void> {
    if (!(await this.webhooks.delete(accountId, webhookId))) throw notFound(webhookId);
    this.logger.log({ message: 'Webhook endpoint deleted', accountId, webhookId });
  }

  async rotateSecret(accountId: string, webhookId: string): Promise<WebhookEndpointWithSecretDto> {
    const secret = newWebhookSecret();
    const record = await this.webhooks.rotateSecret(accountId, webhookId, this.secrets.seal(secret));
    if (!record) throw notFound(webhookId);
    this.logger.log({ message: 'Webhook secret rotated', accountId, webhookId });
    return { ...toWebhookEndpoint(record), secret };
  }

  async deliveries(accountId: string, webhookId: string, query: ListWebhooksQueryDto): Promise<WebhookDeliveryPageDto> {
    const found = await this.webhooks.deliveries(accountId, webhookId, query.page, query.limit);
    if (!found) throw notFound(webhookId);
    return { items: found.items.map(toWebhookDelivery), page: query.page, limit: query.limit, totalItems: found.totalItems };
  }
}

function notFound(webhookId: string): DomainError {
  return new DomainError(ErrorCode.NotFound, `Webhook endpoint ${webhookId} was not found`);
}

export function toWebhookEndpoint(record: WebhookEndpointRecord): WebhookEndpointDto {
  const previousActive = record.previousSecretExpiresAt && record.previousSecretExpiresAt.getTime() > Date.now() ? record.previousSecretExpiresAt : undefined;
  return {
    webhookId: record.id,
    url: record.url,
    events: record.events,
    enabled: record.enabled,
    ...(record.disabledAt ? { disabledAt: record.disabledAt.toISOString() } : {}),
    ...(record.disabledReason ? { disabledReason: record.disabledReason } : {}),
    ...(record.failingSince ? { failingSince: record.failingSince.toISOString() } : {}),
    ...(previousActive ? { previousSecretExpiresAt: previousActive.toISOString() } : {}),
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

function toWebhookDelivery(record: WebhookDeliveryRecord): WebhookDeliveryDto {
  return {
    deliveryId: record.id,
    eventId: record.eventId,
    eventType: record.eventType,
    exportId: record.exportId,
    status: record.status,
    attempts: record.attempts,
    ...(record.lastHttpStatus !== undefined ? { httpStatus: record.lastHttpStatus } : {}),
    ...(record.lastLatencyMs !== undefined ? { latencyMs: record.lastLatencyMs } : {}),
    ...(record.nextRetryAt ? { nextRetryAt: record.nextRetryAt.toISOString() } : {}),
    ...(record.lastError ? { lastError: record.lastError } : {}),
    createdAt: record.createdAt.toISOString(),
    ...(record.deliveredAt ? { deliveredAt: record.deliveredAt.toISOString() } : {}),
  };
}
