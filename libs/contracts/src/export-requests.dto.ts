import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsEnum,
  IsOptional,
  IsString,
  Length,
  Matches,
} from 'class-validator';
import { Channel, DeliveryStatus } from './enums';
import { IsIanaTimeZone, IsIsoDateTimeWithOffset, IsStorableText } from './validators';

/** Identifiers the platform hands out: letters, digits, `_`, `-`, `.`, `:`; 1-128 characters. */
export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
const MAX_IDS = 1000;

/** `channel: "SMS"` and `channel: ["SMS","RCS"]` are both accepted; stored as an array. */
const toArray = ({ value }: { value: unknown }) => (value === undefined || Array.isArray(value) ? value : [value]);

export abstract class ExportRequestBase {
  @ApiPropertyOptional({ description: 'IANA time zone for every timestamp in the file', example: 'Europe/Paris', default: 'UTC' })
  @IsOptional()
  @IsIanaTimeZone()
  timezone?: string;
}

export class CreateContactsExportDto extends ExportRequestBase {
  @ApiPropertyOptional({ type: [String], description: 'Only contacts in any of these lists', example: ['list-newsletter'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_IDS)
  @IsString({ each: true })
  @Matches(ID_PATTERN, { each: true, message: 'each value in $property must be an id of 1-128 letters, digits, "_", "-", ".", ":"' })
  listIds?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Only these contacts', example: ['c-1001', 'c-1002'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_IDS)
  @IsString({ each: true })
  @Matches(ID_PATTERN, { each: true, message: 'each value in $property must be an id of 1-128 letters, digits, "_", "-", ".", ":"' })
  contactIds?: string[];
}

export class CreateDeliveryReportsExportDto extends ExportRequestBase {
  @ApiPropertyOptional({ example: 'spring-sale-2026' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  @IsStorableText()
  campaignId?: string;

  @ApiPropertyOptional({ example: '2026-01-01T00:00:00Z', description: 'Inclusive lower bound of occurredAt' })
  @IsOptional()
  @IsIsoDateTimeWithOffset()
  startDateTime?: string;

  @ApiPropertyOptional({ example: '2026-01-31T23:59:59Z', description: 'Inclusive upper bound of occurredAt' })
  @IsOptional()
  @IsIsoDateTimeWithOffset()
  endDateTime?: string;

  @ApiPropertyOptional({ enum: Channel, isArray: true, description: 'One channel or an array' })
  @IsOptional()
  @Transform(toArray)
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(3)
  @IsEnum(Channel, { each: true })
  channel?: Channel[];

  @ApiPropertyOptional({ enum: DeliveryStatus, isArray: true, description: 'One status or an array' })
  @IsOptional()
  @Transform(toArray)
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(6)
  @IsEnum(DeliveryStatus, { each: true })
  status?: DeliveryStatus[];
}

export class CreateMessageHistoryExportDto extends ExportRequestBase {
  @ApiProperty({ example: '2026-01-01T00:00:00+01:00', description: 'Inclusive lower bound of sendDate' })
  @IsIsoDateTimeWithOffset()
  startDateTime!: string;

  @ApiProperty({ example: '2026-01-31T23:59:59+01:00', description: 'Inclusive upper bound of sendDate' })
  @IsIsoDateTimeWithOffset()
  endDateTime!: string;

  @ApiPropertyOptional({ enum: Channel, isArray: true })
  @IsOptional()
  @Transform(toArray)
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(3)
  @IsEnum(Channel, { each: true })
  channel?: Channel[];

  @ApiPropertyOptional({ enum: DeliveryStatus, isArray: true })
  @IsOptional()
  @Transform(toArray)
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(6)
  @IsEnum(DeliveryStatus, { each: true })
  status?: DeliveryStatus[];

  @ApiPropertyOptional({ example: 'ACME' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  @IsStorableText()
  sender?: string;

  @ApiPropertyOptional({ example: '+33612345678', description: 'Matches the message destination' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  @IsStorableText()
  recipient?: string;
}
