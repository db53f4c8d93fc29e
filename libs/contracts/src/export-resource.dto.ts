import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsOptional } from 'class-validator';
import { ExportErrorCode, ExportStatus, ExportType } from './enums';
import { ExportFormat } from './export-output';
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

/** One file of a COMPLETED export: the only one, or one part of several. */
export class ExportFileDto {
  @ApiProperty({ example: 1, description: 'Part number, from 1, in row order' })
  part!: number;

  @ApiProperty({ example: EXAMPLE_FILE_NAME })
  fileName!: string;

  @ApiProperty({ example: 120000, description: 'Data rows in this file (the header row not counted)' })
  rowCount!: number;

  @ApiProperty({ example: 10485760, description: 'Size of this file in bytes, as stored (compressed for a .gz format)' })
  sizeBytes!: number;

  @ApiProperty({ example: EXAMPLE_SHA256, description: 'SHA-256 of this file as stored, hex' })
  sha256!: string;
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

  @ApiProperty({ enum: ExportFormat, example: ExportFormat.Csv })
  format!: ExportFormat;

  @ApiPropertyOptional({ type: [String], example: ['phoneNumber', 'firstName'], description: 'The columns as requested; absent for every documented column' })
  columns?: string[];

  @ApiProperty({ example: 1000000, description: 'Rows per file: a larger export is split into parts' })
  maxRowsPerFile!: number;

  @ApiProperty({ format: 'date-time', example: '2026-01-01T12:00:00.000Z' })
  createdAt!: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-01-01T12:00:42.000Z' })
  completedAt?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-01-01T12:00:07.000Z', description: 'When the export was cancelled; only while it is CANCELLED' })
  cancelledAt?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-01-01T13:00:42.000Z', description: 'When the current download link stops working' })
  linkExpiresAt?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-01-08T12:00:42.000Z', description: 'When the file is removed; a regenerate after that runs the export again' })
  fileExpiresAt?: string;

  @ApiPropertyOptional({ example: 120000, description: 'Data rows in the export, every file together (header rows not counted)' })
  rowCount?: number;

  @ApiPropertyOptional({ example: 10485760, description: 'Size of the export in bytes, every file together' })
  sizeBytes?: number;

  @ApiPropertyOptional({ example: EXAMPLE_SHA256, description: 'SHA-256 of the file, hex; a single-file export only (each part has its own in `files`)' })
  sha256?: string;

  @ApiPropertyOptional({ example: EXAMPLE_FILE_NAME, description: 'A single-file export only (each part has its own in `files`)' })
  fileName?: string;

  @ApiPropertyOptional({
    type: [ExportFileDto],
    description: 'COMPLETED and EXPIRED: the files of the export in row order; one, or one per part when the export has more than `maxRowsPerFile` rows',
  })
  files?: ExportFileDto[];

  @ApiProperty({ type: ExportProgressDto })
  progress!: ExportProgressDto;

  @ApiPropertyOptional({ type: ExportErrorDto, description: 'FAILED only' })
  error?: ExportErrorDto;

  @ApiProperty({ type: 'integer', example: 2, description: 'Downloads through `GET /exports/{exportId}/download` (every run, every part); 0 when never. Links of `GET /exports/{exportId}` are not counted' })
  downloadCount!: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-01-01T12:05:17.123Z', description: 'When the last of those downloads was; null when never' })
  lastDownloadedAt!: string | null;
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

/** One file of a COMPLETED export with its presigned link. */
export class ExportFileLinkDto extends ExportFileDto {
  @ApiProperty({
    description: 'Presigned GET link to this file; anyone holding it can download until `expiresAt`',
    example: `https://files.example.com/exports/7c9e6679-7425-40de-944b-e07fc1f90ae7/${EXAMPLE_EXPORT_ID}/1/part-1.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature=2f1c0e9d`,
  })
  downloadUrl!: string;
}

/**
 * One export as `GET /exports/{exportId}` answers it: the export resource, and while it is
 * COMPLETED a presigned link to its file.
 */
export class ExportDetailDto extends ExportResourceDto {
  @ApiPropertyOptional({
    type: [ExportFileLinkDto],
    description: 'COMPLETED: every file of the export in row order, each with its presigned link',
  })
  override files?: ExportFileLinkDto[];

  @ApiPropertyOptional({
    description: 'COMPLETED single-file export only: presigned GET link to the file (a split export has one per part in `files`); anyone holding it can download until `expiresAt`',
    example: `https://files.example.com/exports/7c9e6679-7425-40de-944b-e07fc1f90ae7/${EXAMPLE_EXPORT_ID}/${EXAMPLE_FILE_NAME}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature=2f1c0e9d`,
  })
  downloadUrl?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-01-01T13:00:42.000Z', description: 'COMPLETED only: when the links stop working' })
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
