import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsDefined,
  IsEnum,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
} from 'class-validator';
import { Channel, DeliveryStatus, MessageDirection } from './enums';
import { IsPageNumber, IsPageSize, MAX_OFFSET, MAX_PAGE } from './paging';
import { DATE_BOUND_SCHEMA, IsDateBound, LOWER_BOUND, UPPER_BOUND } from './plain-dates';
import { IsIanaTimeZone } from './validators';

/**
 * Query-string lists: `status=SENT`, `status=SENT&status=ERROR` and `status=SENT,ERROR` all give
 * `['SENT','ERROR']`; an array (a JSON body, a NATS request) is taken as it is.
 */
export const toQueryArray = ({ value }: { value: unknown }) => {
  if (value === undefined || value === null) return value;
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((item) => (typeof item === 'string' ? item.split(',').map((part) => part.trim()) : [item]));
};

/**
 * A `+` in a query string arrives as a space (form encoding), so `...T10:00:00+01:00` sent
 * unencoded reads `...T10:00:00 01:00`; a space before a final `hh:mm` can only have been a `+`.
 */
export const restorePlusOffset = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.replace(/ (\d{2}:\d{2})$/, '+$1') : value;

/** What one query-string item of a list may be: a value, or values separated by commas. */
function queryListPattern(values: Record<string, string>): string {
  const one = `(${Object.values(values).join('|')})`;
  return `^${one}(,${one})*$`;
}

/** Cursor text: base64url payload, a dot, base64url MAC. */
export const CURSOR_PATTERN = /^[A-Za-z0-9_-]{1,1024}\.[A-Za-z0-9_-]{16,64}$/;


/** `GET /messages/history`: one page of an account's messages, oldest first. */
export class BrowseMessageHistoryQueryDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'string', pattern: queryListPattern(Channel) },
    description: 'SMS, RCS or WHATSAPP: one channel, repeated (`channel=SMS&channel=RCS`), or comma-separated (`SMS,RCS`)',
    example: ['SMS'],
  })
  @IsDefined({ message: 'channel is required: SMS, RCS or WHATSAPP' })
  @Transform(toQueryArray)
  @IsArray()
  @ArrayNotEmpty({ message: 'channel is required: SMS, RCS or WHATSAPP' })
  @ArrayMaxSize(3)
  @IsEnum(Channel, { each: true, message: 'channel must be SMS, RCS or WHATSAPP' })
  channel!: Channel[];

  @ApiProperty({ ...DATE_BOUND_SCHEMA, example: '2026-01-01T00:00:00+01:00', description: `Inclusive lower bound of sendDate (encode \`+\` as %2B). ${LOWER_BOUND}` })
  @IsDefined({ message: 'from is required' })
  @Transform(restorePlusOffset)
  @IsDateBound()
  from!: string;

  @ApiProperty({ ...DATE_BOUND_SCHEMA, example: '2026-01-31', description: `Inclusive upper bound of sendDate; from > to gives an empty page. ${UPPER_BOUND}` })
  @IsDefined({ message: 'to is required' })
  @Transform(restorePlusOffset)
  @IsDateBound()
  to!: string;

  @ApiPropertyOptional({ description: 'IANA time zone of the days that date-only `from` and `to` name', example: 'Europe/Paris', default: 'UTC' })
  @IsOptional()
  @IsIanaTimeZone()
  timezone?: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', pattern: queryListPattern(DeliveryStatus) },
    description: 'SENT, DELIVERED, RECEIVED, ERROR, EXPIRED or UNKNOWN: one status, repeated, or comma-separated',
    example: ['DELIVERED'],
  })
  @IsOptional()
  @Transform(toQueryArray)
  @IsArray()
  @ArrayMaxSize(6)
  @IsEnum(DeliveryStatus, { each: true, message: 'status must be one of SENT, DELIVERED, RECEIVED, ERROR, EXPIRED, UNKNOWN' })
  status?: DeliveryStatus[];

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20, type: 'integer' })
  @IsOptional()
  @IsPageSize(100)
  limit: number = 20;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_PAGE,
    default: 0,
    type: 'integer',
    description:
      `0-based page number. Its cost grows with the depth (OFFSET), hence the maxima: page ≤ ${MAX_PAGE} and page × limit ≤ ${MAX_OFFSET}; ` +
      '`cursor` goes as deep as the data at the cost of page 1. Not with `cursor`.',
  })
  @IsOptional()
  @IsPageNumber()
  page?: number;

  @ApiPropertyOptional({ description: '`nextCursor` of the previous page (keyset paging, same cost at any depth); valid only with the same channel, status, from and to' })
  @IsOptional()
  @IsString()
  @Matches(CURSOR_PATTERN, { message: 'cursor is not a cursor this API returned' })
  cursor?: string;
}

/** `history.browse` over NATS request-reply: the HTTP query plus the account it is scoped to. */
export class BrowseMessageHistoryRequest extends BrowseMessageHistoryQueryDto {
  @IsUUID('all', { message: 'accountId must be a UUID' })
  accountId!: string;
}

export class MessageHistoryItemDto {
  @ApiProperty({ example: 'msg-000123' })
  messageId!: string;

  @ApiPropertyOptional({ example: 'order-42' })
  customerMessageId?: string;

  @ApiProperty({ enum: Channel })
  channel!: Channel;

  @ApiProperty({ enum: MessageDirection })
  direction!: MessageDirection;

  @ApiProperty({ example: 'ACME' })
  sender!: string;

  @ApiProperty({ example: '+33612345678' })
  destination!: string;

  @ApiProperty({ example: 'Your code is 1234' })
  body!: string;

  @ApiProperty({ enum: DeliveryStatus })
  status!: DeliveryStatus;

  @ApiPropertyOptional({ example: 'Handset unreachable' })
  statusDescription?: string;

  @ApiPropertyOptional({ example: 'E042' })
  errorCode?: string;

  @ApiProperty({ format: 'date-time' })
  sendDate!: string;

  @ApiPropertyOptional({ format: 'date-time' })
  deliveryDate?: string;

  @ApiPropertyOptional({ example: 0.045 })
  cost?: number;

  @ApiProperty({ example: 1 })
  parts!: number;
}

export class MessageHistoryPageDto {
  @ApiProperty({ type: [MessageHistoryItemDto] })
  messages!: MessageHistoryItemDto[];

  @ApiProperty({ example: 0, description: '0-based number of this page (counted along the cursor chain too)' })
  page!: number;

  @ApiProperty({ example: 20 })
  limit!: number;

  @ApiProperty()
  hasMore!: boolean;

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor!: string | null;
}
