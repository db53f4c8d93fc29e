import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEnum, IsInt, IsOptional, Max, Min } from 'class-validator';
import { ExportErrorCode, ExportStatus, ExportType } from './enums';

export class ExportProgressDto {
  @ApiProperty({ example: 120000 })
  rowsExported!: number;
}

export class ExportErrorDto {
  @ApiProperty({ enum: ExportErrorCode })
  code!: ExportErrorCode;

  @ApiProperty({ example: 'Object storage could not be reached after 3 attempts; request the export again.' })
  message!: string;
}

/** The export resource: every 202, every list item. */
export class ExportResourceDto {
  @ApiProperty({ format: 'uuid' })
  exportId!: string;

  @ApiProperty({ enum: ExportType })
  type!: ExportType;

  @ApiProperty({ enum: ExportStatus })
  status!: ExportStatus;

  @ApiProperty()
  isAvailableForDownload!: boolean;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The filters as requested', example: { listIds: ['vip'] } })
  filters!: Record<string, unknown>;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiPropertyOptional({ format: 'date-time' })
  completedAt?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  linkExpiresAt?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  fileExpiresAt?: string;

  @ApiPropertyOptional()
  rowCount?: number;

  @ApiPropertyOptional()
  sizeBytes?: number;

  @ApiPropertyOptional({ example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' })
  sha256?: string;

  @ApiPropertyOptional({ example: 'contacts-20260101T120000Z-1a2b3c4d.csv' })
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

  @ApiProperty({ example: 42 })
  totalItems!: number;
}

export class DownloadLinkDto {
  @ApiProperty({ format: 'uuid' })
  exportId!: string;

  @ApiProperty({ description: 'Presigned GET link to the file' })
  downloadUrl!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;

  @ApiProperty()
  fileName!: string;

  @ApiProperty()
  sizeBytes!: number;

  @ApiProperty()
  sha256!: string;

  @ApiProperty()
  rowCount!: number;
}

export class ListExportsQueryDto {
  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  page: number = 0;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 10 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 10;

  @ApiPropertyOptional({ enum: ExportStatus })
  @IsOptional()
  @IsEnum(ExportStatus)
  status?: ExportStatus;

  @ApiPropertyOptional({ enum: ExportType })
  @IsOptional()
  @IsEnum(ExportType)
  type?: ExportType;
}
