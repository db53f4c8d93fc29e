import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CreateWebhookDto, ListWebhooksQueryDto, WebhookDeliveryPageDto, WebhookEndpointDto, WebhookEndpointWithSecretDto, WebhookPageDto } from '@exports/contracts';
import { DomainError, ErrorCode } from '@exports/platform';
import { AccountId } from '../auth/account-id.decorator';
import { ApiErrors, KEYED } from '../docs/api-errors.decorator';
import { WebhooksService } from './webhooks.service';

const ApiWebhookId = () => ApiParam({ name: 'webhookId', format: 'uuid', description: 'The endpoint, as `webhookId` in its resource', example: '3f2b8c1d-6a4e-4f0b-9c7d-1e2f3a4b5c6d' });

/** An id that is not a UUID names no endpoint: 404, as for an unknown one (the id is not echoed). */
const webhookIdPipe = new ParseUUIDPipe({
  exceptionFactory: () => new DomainError(ErrorCode.NotFound, 'Webhook endpoint was not found: webhookId is not the id of an endpoint'),
});

@ApiTags('webhooks')
@ApiSecurity('apiKey')
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({
    summary: 'Register a webhook endpoint',
    description:
      'The endpoint receives a signed POST for each export event it subscribes to (Standard Webhooks: `Webhook-Id`, `Webhook-Timestamp`, `Webhook-Signature`). ' +
      'The answer carries the signing `secret`: it is shown only here and on rotation. An account has at most `WEBHOOK_MAX_PER_ACCOUNT` endpoints (10 by default).',
  })
  @ApiCreatedResponse({ type: WebhookEndpointWithSecretDto, description: 'The endpoint, with its signing secret (shown once)' })
  @ApiErrors(ErrorCode.Validation, ErrorCode.PayloadTooLarge, ErrorCode.UnsupportedMediaType, ErrorCode.TooManyWebhooks, ...KEYED)
  create(@AccountId() accountId: string, @Body() body: CreateWebhookDto): Promise<WebhookEndpointWithSecretDto> {
    return this.webhooks.create(accountId, body);
  }

  @Get()
  @ApiOperation({ summary: 'List webhook endpoints', description: 'Newest first; `page` is 0-based. Secrets are never listed.' })
  @ApiOkResponse({ type: WebhookPageDto, description: 'One page of the endpoints of the account' })
  @ApiErrors(ErrorCode.Validation, ...KEYED)
  list(@AccountId() accountId: string, @Query() query: ListWebhooksQueryDto): Promise<WebhookPageDto> {
    return this.webhooks.list(accountId, query);
  }

  @Get(':webhookId')
  @ApiOperation({ summary: 'Get a webhook endpoint', description: 'With, once disabled, when and why (`disabledAt`, `disabledReason`), and `failingSince` while its deliveries fail.' })
  @ApiWebhookId()
  @ApiOkResponse({ type: WebhookEndpointDto, description: 'The endpoint' })
  @ApiErrors(ErrorCode.Validation, ErrorCode.NotFound, ...KEYED)
  get(@AccountId() accountId: string, @Param('webhookId', webhookIdPipe) webhookId: string): Promise<WebhookEndpointDto> {
    return this.webhooks.get(accountId, webhookId);
  }

  @Delete(':webhookId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook endpoint', description: 'Nothing more is sent to it; its deliveries, made or pending, are removed with it.' })
  @ApiWebhookId()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(ErrorCode.Validation, ErrorCode.NotFound, ...KEYED)
  async delete(@AccountId() accountId: string, @Param('webhookId', webhookIdPipe) webhookId: string): Promise<void> {
    await this.webhooks.delete(accountId, webhookId);
  }

  @Post(':webhookId/rotate-secret')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate the signing secret',
    description:
      'A new secret signs from now on; the previous one keeps signing beside it for 24 h (until `previousSecretExpiresAt`): `Webhook-Signature` then carries both signatures, space-separated.',
  })
  @ApiWebhookId()
  @ApiOkResponse({ type: WebhookEndpointWithSecretDto, description: 'The endpoint, with its new signing secret (shown once)' })
  @ApiErrors(ErrorCode.Validation, ErrorCode.NotFound, ...KEYED)
  rotateSecret(@AccountId() accountId: string, @Param('webhookId', webhookIdPipe) webhookId: string): Promise<WebhookEndpointWithSecretDto> {
    return this.webhooks.rotateSecret(accountId, webhookId);
  }

  @Get(':webhookId/deliveries')
  @ApiOperation({
    summary: 'List the deliveries of a webhook endpoint',
    description: 'Newest first; `page` is 0-based. Each: the event, the export, attempts, status, the HTTP status and latency of the last attempt, the next retry and the last error.',
  })
  @ApiWebhookId()
  @ApiOkResponse({ type: WebhookDeliveryPageDto, description: 'One page of the deliveries of the endpoint' })
  @ApiErrors(ErrorCode.Validation, ErrorCode.NotFound, ...KEYED)
  deliveries(@AccountId() accountId: string, @Param('webhookId', webhookIdPipe) webhookId: string, @Query() query: ListWebhooksQueryDto): Promise<WebhookDeliveryPageDto> {
    return this.webhooks.deliveries(accountId, webhookId, query);
  }
}
