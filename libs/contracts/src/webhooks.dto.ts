import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, ArrayUnique, IsArray, IsIn, IsString, IsUUID, MaxLength, registerDecorator, ValidationOptions } from 'class-validator';
import { ListExportsQueryDto } from './export-resource.dto';
import { isStorableText } from './validators';

/** The export lifecycle events a webhook endpoint may subscribe to (the `type` of a delivery). */
export enum WebhookEventType {
  ExportCompleted = 'export.completed',
  ExportFailed = 'export.failed',
  ExportExpired = 'export.expired',
  ExportCancelled = 'export.cancelled',
}

export const WEBHOOK_EVENT_TYPES = Object.values(WebhookEventType);

/** The webhook event type of an `exports.events.<kind>` subject's kind, or undefined for a kind webhooks do not carry. */
export function webhookEventTypeOf(kind: string): WebhookEventType | undefined {
  const type = `export.${kind}`;
  return (WEBHOOK_EVENT_TYPES as string[]).includes(type) ? (type as WebhookEventType) : undefined;
}

export enum WebhookDeliveryStatus {
  Pending = 'PENDING',
  Succeeded = 'SUCCEEDED',
  Failed = 'FAILED',
}

/** Longest endpoint URL accepted. */
export const WEBHOOK_URL_MAX_LENGTH = 2048;

/**
 * What is wrong with a webhook URL, or undefined when it may be registered: an absolute `https`
 * URL (`http` too with `allowInsecure`), without user or password, at most
 * {@link WEBHOOK_URL_MAX_LENGTH} characters, without control characters (NUL, which PostgreSQL
 * refuses, included) or unpaired surrogates, which `new URL` would otherwise let through. Where it points is checked at each delivery, after
 * DNS resolution (a name can change address after registration).
 */
export function webhookUrlProblem(value: unknown, allowInsecure: boolean): string | undefined {
  if (typeof value !== 'string') return 'url must be a string';
  if (value.length > WEBHOOK_URL_MAX_LENGTH) return `url must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`;
  if (!isStorableText(value)) return 'url must be text without control characters (such as NUL) or unpaired surrogates';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'url must be an absolute URL such as https://example.com/webhooks';
  }
  if (url.protocol !== 'https:' && !(allowInsecure && url.protocol === 'http:')) {
    return allowInsecure ? 'url must be an http or https URL' : 'url must be an https URL';
  }
  if (url.username || url.password) return 'url must not carry a user name or password';
  if (!url.hostname) return 'url must name a host';
  return undefined;
}

/** `url`: the shape of {@link webhookUrlProblem} (the scheme as the most lenient deployment allows; the service applies its own). */
function IsWebhookUrl(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isWebhookUrl',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => webhookUrlProblem(value, true) === undefined,
        defaultMessage: (args) => webhookUrlProblem(args?.value, true) ?? 'url is not valid',
      },
    });
}

const EXAMPLE_WEBHOOK_ID = '3f2b8c1d-6a4e-4f0b-9c7d-1e2f3a4b5c6d';
const EXAMPLE_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export class CreateWebhookDto {
  @ApiProperty({
    example: 'https://example.com/webhooks/exports',
    maxLength: WEBHOOK_URL_MAX_LENGTH,
    description: 'Where deliveries are POSTed: an https URL without user or password (plain http only where the deployment allows it)',
  })
  @IsString({ message: 'url must be a string' })
  @MaxLength(WEBHOOK_URL_MAX_LENGTH, { message: `url must be at most ${WEBHOOK_URL_MAX_LENGTH} characters` })
  @IsWebhookUrl()
  url!: string;

  @ApiProperty({ enum: WebhookEventType, isArray: true, example: [WebhookEventType.ExportCompleted, WebhookEventType.ExportFailed], description: 'The events to receive: at least one' })
  @IsArray({ message: 'events must be an array of event types' })
  @ArrayNotEmpty({ message: 'events must name at least one event type' })
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length, { message: `events must name at most ${WEBHOOK_EVENT_TYPES.length} event types` })
  @ArrayUnique({ message: 'events must not repeat an event type' })
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true, message: `each of events must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}` })
  events!: WebhookEventType[];
}

/** A webhook endpoint of the account; the signing secret is never shown again after creation or rotation. */
export class WebhookEndpointDto {
  @ApiProperty({ format: 'uuid', example: EXAMPLE_WEBHOOK_ID })
  webhookId!: string;

  @ApiProperty({ example: 'https://example.com/webhooks/exports' })
  url!: string;

  @ApiProperty({ enum: WebhookEventType, isArray: true, example: [WebhookEventType.ExportCompleted, WebhookEventType.ExportFailed] })
  events!: WebhookEventType[];

  @ApiProperty({ example: true, description: 'False once disabled (the receiver answered 410, or failed every delivery for 24 h): nothing more is sent to it' })
  enabled!: boolean;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-01-02T12:00:00.000Z', description: 'Disabled endpoints only: when' })
  disabledAt?: string;

  @ApiPropertyOptional({ example: 'The receiver answered 410 Gone', description: 'Disabled endpoints only: why' })
  disabledReason?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-01-01T12:30:00.000Z', description: 'Since when every delivery attempt has failed; absent while deliveries succeed' })
  failingSince?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-01-02T12:00:00.000Z',
    description: 'After a rotation: until when the previous secret still signs beside the new one',
  })
  previousSecretExpiresAt?: string;

  @ApiProperty({ format: 'date-time', example: '2026-01-01T12:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-01-01T12:00:00.000Z' })
  updatedAt!: string;
}

/** The answer of creation and rotation: the only times the secret is shown. */
export class WebhookEndpointWithSecretDto extends WebhookEndpointDto {
  @ApiProperty({ example: EXAMPLE_SECRET, description: 'The signing secret (Standard Webhooks format): shown only in this answer; keep it' })
  secret!: string;
}

export class WebhookPageDto {
  @ApiProperty({ type: [WebhookEndpointDto] })
  items!: WebhookEndpointDto[];

  @ApiProperty({ example: 0 })
  page!: number;

  @ApiProperty({ example: 10 })
  limit!: number;

  @ApiProperty({ example: 2, description: 'Endpoints of the account, on every page' })
  totalItems!: number;
}

/** `page` and `limit`, as every paged list of the API takes them. */
export class ListWebhooksQueryDto extends PickType(ListExportsQueryDto, ['page', 'limit'] as const) {}

/** One event owed to one endpoint, with how its delivery went so far. */
export class WebhookDeliveryDto {
  @ApiProperty({ format: 'uuid', example: '8d1f2e3c-4b5a-4697-8c1d-2e3f4a5b6c7d' })
  deliveryId!: string;

  @ApiProperty({ example: 'evt_1f0c2a9e8b1d4e7ab3c69d2e', description: 'The event id: the `id` of the body and the `Webhook-Id` header, the same on every attempt' })
  eventId!: string;

  @ApiProperty({ enum: WebhookEventType, example: WebhookEventType.ExportCompleted })
  eventType!: WebhookEventType;

  @ApiProperty({ format: 'uuid', example: '0b7d6c1e-3f0a-4a8e-9d51-2f4c8e6b1a90' })
  exportId!: string;

  @ApiProperty({ enum: WebhookDeliveryStatus, example: WebhookDeliveryStatus.Succeeded, description: 'PENDING while attempts remain, then SUCCEEDED or FAILED' })
  status!: WebhookDeliveryStatus;

  @ApiProperty({ example: 1, description: 'Attempts made so far' })
  attempts!: number;

  @ApiPropertyOptional({ example: 200, description: 'HTTP status of the last attempt that got an answer' })
  httpStatus?: number;

  @ApiPropertyOptional({ example: 84, description: 'Duration of the last attempt, milliseconds' })
  latencyMs?: number;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-01-01T12:01:12.000Z', description: 'PENDING after a failed attempt: when the next one is due; during an attempt: when it is made again should that attempt be lost' })
  nextRetryAt?: string;

  @ApiPropertyOptional({ example: 'The receiver answered 503', description: 'Why the last attempt failed, when it did' })
  lastError?: string;

  @ApiProperty({ format: 'date-time', example: '2026-01-01T12:00:42.000Z' })
  createdAt!: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-01-01T12:00:42.084Z', description: 'SUCCEEDED only' })
  deliveredAt?: string;
}

export class WebhookDeliveryPageDto {
  @ApiProperty({ type: [WebhookDeliveryDto] })
  items!: WebhookDeliveryDto[];

  @ApiProperty({ example: 0 })
  page!: number;

  @ApiProperty({ example: 10 })
  limit!: number;

  @ApiProperty({ example: 3, description: 'Deliveries of the endpoint, on every page' })
  totalItems!: number;
}

/** The message on `webhooks.deliveries.<accountId>` (stream WEBHOOK_DELIVERIES): one delivery row to make. */
export class WebhookDeliveryJob {
  @IsUUID()
  deliveryId!: string;

  @IsUUID()
  accountId!: string;
}

/** The JSON body of a delivery. */
export interface WebhookPayload<T = unknown> {
  id: string;
  type: WebhookEventType;
  createdAt: string;
  data: T;
}
