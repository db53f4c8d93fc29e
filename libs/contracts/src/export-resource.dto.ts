import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsOptional } from 'class-validator';
import { ExportErrorCode, ExportStatus, ExportType } from './enums';
import { IsPageNumber, IsPageSize, MAX_OFFSET, MAX_PAGE } from './paging';

// One export, told the same way across the examples of the documentation.
const EXAMPLE_EXPORT_ID = '0b7d6c1e-3f0a-4a8e-9d51-2f4c8e6b1a90';
const EXAMPLE_FILE_NAME = 'contacts-20260101T120000Z-0b7d6c1e.csv';
const EXAMPLE_SHA256 = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

export class ExportProgressDto {
  @ApiProperty({ example: 120000, description: 'Rows written so far by the current run' })
  rowsExported!: number;
}

export class ExportErrorDto {
  @ApiProperty({ enum: ExportErrorCode, example: ExportErrorCode.StorageUnavailable })
  code!: ExportErrorCode;

  @ApiProperty({ example: 'Object storage could not be reached after 3 attempts; request the export again.' })
  message!: string;
}

/** The export resource: every 202, every list item. */
export class ExportResourceDto {
  @ApiProperty({ format: 'uuid', example: EXAMPLE_EXPORT_ID })
  exportId!: string;

  @ApiProperty({ enum: ExportType, example: ExportType.Contacts })
  type!: ExportType;

  @ApiProperty({ enum: ExportStatus, example: ExportStatus.Completed, description: 'As it reads now: a COMPLETED export whose link has passed is EXPIRED' })
  status!: ExportStatus;

  @ApiProperty({ example: true, description: 'True when COMPLETED: GET /exports/{exportId} gives the link' })
  isAvailableForDownload!: boolean;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The filters as requested', example: { listIds: ['vip'] } })
  filters!: Record<string, unknown>;

  @ApiProperty({ format: 'date-time', example: '2026-01-01T12:00:00.000Z' })
  createdAt!: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-01-01T12:00:42.000Z' })
  completedAt?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-01-01T13:00:42.000Z', description: 'When the current download link stops working' })
  linkExpiresAt?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-01-08T12:00:42.000Z', description: 'When the file is removed; a regenerate after that runs the export again' })
  fileExpiresAt?: string;

  @ApiPropertyOptional({ example: 120000, description: 'Data rows in the file (the header row not counted)' })
  rowCount?: number;

  @ApiPropertyOptional({ example: 10485760, description: 'Size of the file in bytes' })
  sizeBytes?: number;

  @ApiPropertyOptional({ example: EXAMPLE_SHA256, description: 'SHA-256 of the file, hex' })
  sha256?: string;

  @ApiPropertyOptional({ example: EXAMPLE_FILE_NAME })
  fileName?: string;

  @ApiProperty({ type: ExportProgressDto })
  progress!: ExportProgressDto;

  @ApiPropertyOptional({ type: ExportErrorDto, description: 'FAILED only' })
  error?: ExportErrorDto;
}

export class ExportPageDto {
  @ApiProperty({ type: [ExportResourceDto] })
  items!: ExportResourceDto[];

  @ApiProperty({ example: 0 })
  page!: number;

  @ApiProperty({ example: 10 })
  limit!: number;

  @ApiProperty({ example: 42, description: 'Exports matching the filters, on every page' })
  totalItems!: number;
}

/**
 * One export as `GET /exports/{exportId}` answers it: the export resource, and while it is
 * COMPLETED a presigned link to its file.
 */
export class ExportDetailDto extends ExportResourceDto {
  @ApiPropertyOptional({
    description: 'COMPLETED only: presigned GET link to the file; anyone holding it can download until `expiresAt`',
    example: `https://files.example.com/exports/7c9e6679-7425-40de-944b-e07fc1f90ae7/${EXAMPLE_EXPORT_ID}/${EXAMPLE_FILE_NAME}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature=2f1c0e9d`,
  })
  downloadUrl?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-01-01T13:00:42.000Z', description: 'COMPLETED only: when `downloadUrl` stops working' })
  expiresAt?: string;
}

export class ListExportsQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_PAGE,
    default: 0,
    example: 0,
    description: `Page number, 0-based; at most ${MAX_PAGE}, and page × limit at most ${MAX_OFFSET}`,
  })
  @IsOptional()
  @IsPageNumber()
  page: number = 0;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 10, example: 10, description: 'Exports per page' })
  @IsOptional()
  @IsPageSize(100)
  limit: number = 10;

  @ApiPropertyOptional({ enum: ExportStatus, example: ExportStatus.Completed, description: 'Only exports in this status (as it reads now)' })
  @IsOptional()
  @IsEnum(ExportStatus)
  status?: ExportStatus;

  @ApiPropertyOptional({ enum: ExportType, example: ExportType.Contacts, description: 'Only exports of this type' })
  @IsOptional()
  @IsEnum(ExportType)
  type?: ExportType;
}
