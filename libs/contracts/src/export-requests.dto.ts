import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsEnum,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { Channel, DeliveryStatus } from './enums';
import { DEFAULT_MAX_ROWS_PER_FILE, ExportFormat, MAX_ROWS_PER_FILE } from './export-output';
import { DATE_BOUND_SCHEMA, IsDateBound, LOWER_BOUND, UPPER_BOUND } from './plain-dates';
import { IsIanaTimeZone, IsStorableText } from './validators';

/** Identifiers the platform hands out: letters, digits, `_`, `-`, `.`, `:`; 1-128 characters. */
export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
const MAX_IDS = 1000;

/** `channel: "SMS"` and `channel: ["SMS","RCS"]` are both accepted; stored as an array. */
const toArray = ({ value }: { value: unknown }) => (value === undefined || Array.isArray(value) ? value : [value]);

/** Applies decorators to a property bottom-up, as stacked decorators are. */
function stacked(decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, property) => [...decorators].reverse().forEach((decorator) => decorator(target, property));
}

/** An optional filter of ids: an array of at most `MAX_IDS` ids. */
function OptionalIdList(description: string, example: string[]): PropertyDecorator {
  return stacked([
    ApiPropertyOptional({ type: [String], description, example }),
    IsOptional(),
    IsArray(),
    ArrayMaxSize(MAX_IDS),
    IsString({ each: true }),
    Matches(ID_PATTERN, { each: true, message: 'each value in $property must be an id of 1-128 letters, digits, "_", "-", ".", ":"' }),
  ]);
}

/** An optional filter of enum values: one value or a non-empty array of at most `maxSize`. */
function OptionalEnumList(values: Record<string, string>, maxSize: number, description?: string): PropertyDecorator {
  return stacked([
    ApiPropertyOptional({
      oneOf: [
        { type: 'string', enum: Object.values(values) },
        { type: 'array', items: { type: 'string', enum: Object.values(values) }, minItems: 1, maxItems: maxSize },
      ],
      description: description ?? 'One value or an array',
    }),
    IsOptional(),
    Transform(toArray),
    IsArray(),
    ArrayNotEmpty(),
    ArrayMaxSize(maxSize),
    IsEnum(values, { each: true }),
  ]);
}

/** A column name as the export types document them: letters and digits, a letter first. */
const COLUMN_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

export abstract class ExportRequestBase {
  @ApiPropertyOptional({ description: 'IANA time zone for every timestamp in the file, and the days of date-only bounds', example: 'Europe/Paris', default: 'UTC' })
  @IsOptional()
  @IsIanaTimeZone()
  timezone?: string;

  @ApiPropertyOptional({
    enum: ExportFormat,
    default: ExportFormat.Csv,
    example: ExportFormat.CsvGzip,
    description: 'csv (spreadsheet-safe cells), jsonl (one JSON object per line, typed values), or either gzip-compressed',
  })
  @IsOptional()
  @IsEnum(ExportFormat)
  format?: ExportFormat;

  @ApiPropertyOptional({
    type: [String],
    minItems: 1,
    maxItems: 64,
    example: ['phoneNumber', 'firstName'],
    description: "The columns of the file, in this order: any of the type's documented columns, each once. All of them, in the documented order, when absent",
  })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  @Matches(COLUMN_NAME, { each: true, message: 'each value in $property must be a column name (letters and digits)' })
  columns?: string[];

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_ROWS_PER_FILE,
    default: DEFAULT_MAX_ROWS_PER_FILE,
    example: DEFAULT_MAX_ROWS_PER_FILE,
    description: `Rows per file: a larger export is written as several files (parts), each with its header. At most ${MAX_ROWS_PER_FILE.toLocaleString('en-US')}, so that every part opens in a spreadsheet`,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_ROWS_PER_FILE)
  maxRowsPerFile?: number;
}

export class CreateContactsExportDto extends ExportRequestBase {
  @OptionalIdList('Only contacts in any of these lists', ['list-newsletter'])
  listIds?: string[];

  @OptionalIdList('Only these contacts', ['c-1001', 'c-1002'])
  contactIds?: string[];
}

export class CreateDeliveryReportsExportDto extends ExportRequestBase {
  @ApiPropertyOptional({ example: 'spring-sale-2026' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  @IsStorableText()
  campaignId?: string;

  @ApiPropertyOptional({ ...DATE_BOUND_SCHEMA, example: '2026-01-01T00:00:00Z', description: `Inclusive lower bound of occurredAt. ${LOWER_BOUND}` })
  @IsOptional()
  @IsDateBound()
  startDateTime?: string;

  @ApiPropertyOptional({ ...DATE_BOUND_SCHEMA, example: '2026-01-31T23:59:59Z', description: `Inclusive upper bound of occurredAt. ${UPPER_BOUND}` })
  @IsOptional()
  @IsDateBound()
  endDateTime?: string;

  @OptionalEnumList(Channel, 3, 'One channel or an array')
  channel?: Channel[];

  @OptionalEnumList(DeliveryStatus, 6, 'One status or an array')
  status?: DeliveryStatus[];
}

export class CreateMessageHistoryExportDto extends ExportRequestBase {
  @ApiProperty({ ...DATE_BOUND_SCHEMA, example: '2026-01-01T00:00:00+01:00', description: `Inclusive lower bound of sendDate. ${LOWER_BOUND}` })
  @IsDateBound()
  startDateTime!: string;

  @ApiProperty({ ...DATE_BOUND_SCHEMA, example: '2026-01-31', description: `Inclusive upper bound of sendDate. ${UPPER_BOUND}` })
  @IsDateBound()
  endDateTime!: string;

  @OptionalEnumList(Channel, 3)
  channel?: Channel[];

  @OptionalEnumList(DeliveryStatus, 6)
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

/** What a request asks of the file rather than of the rows: kept beside the filters. */
export type ExportOutputFields = 'format' | 'columns' | 'maxRowsPerFile';

/**
 * What an export keeps as its filters: its request without the time zone and the output
 * options (kept beside them). The one filter type of each export kind, for HTTP, NATS and the
 * worker that runs it.
 */
export type ExportFilters<Request extends ExportRequestBase> = Omit<Request, 'timezone' | ExportOutputFields>;
export type ContactsExportFilters = ExportFilters<CreateContactsExportDto>;
export type DeliveryReportsExportFilters = ExportFilters<CreateDeliveryReportsExportDto>;
export type MessageHistoryExportFilters = ExportFilters<CreateMessageHistoryExportDto>;
