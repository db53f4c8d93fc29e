import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ExportFileLinkDto, ListExportsQueryDto } from './export-resource.dto';
import { IsPageSize, toInteger } from './paging';

/** Longest `User-Agent` an audit record keeps (longer ones are cut), in characters. */
export const MAX_AUDITED_USER_AGENT = 512;

/** Highest `part` number the download route reads; the export's own number of files bounds it further. */
export const MAX_PART_NUMBER = 1_000_000;

const PART_MESSAGE = 'part must be an integer from 1 to the number of files of the export';

/** `GET /exports/{exportId}/download`: which file of a split export. */
export class DownloadExportQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_PART_NUMBER,
    example: 2,
    description: 'The file to download, as `part` in `files` (from 1). Optional for a single-file export; required when the export has several files',
  })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: PART_MESSAGE })
  @Min(1, { message: PART_MESSAGE })
  @Max(MAX_PART_NUMBER, { message: PART_MESSAGE })
  part?: number;
}

/** `GET /exports/{exportId}/download` asked with `Accept: application/json`: the recorded link, as JSON instead of a redirect. */
export class ExportDownloadLinkDto extends ExportFileLinkDto {
  @ApiProperty({ format: 'date-time', example: '2026-01-01T13:00:42.000Z', description: 'When the link stops working (the export\'s `linkExpiresAt`, to the second)' })
  expiresAt!: string;
}

/** `GET /exports/{exportId}/downloads`: one page of the export's download records (`page` as `GET /exports` reads it). */
export class ListExportDownloadsQueryDto extends PickType(ListExportsQueryDto, ['page'] as const) {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20, example: 20, description: 'Records per page' })
  @IsOptional()
  @IsPageSize(100)
  limit: number = 20;
}

/** One download of an export through `GET /exports/{exportId}/download`: who, from where, when. Never the link. */
export class ExportDownloadDto {
  @ApiProperty({ format: 'uuid', example: '3c1f7a2e-5b8d-4e09-a6c4-1d2e3f4a5b6c', description: 'The record' })
  id!: string;

  @ApiProperty({ format: 'date-time', example: '2026-01-01T12:05:17.123Z', description: 'When the download link was handed out' })
  downloadedAt!: string;

  @ApiProperty({ format: 'uuid', example: '8a4b2c1d-9e0f-4a3b-8c7d-6e5f4a3b2c1d', description: 'The API key that asked for it (its id, as the admin CLI lists keys; never the key)' })
  apiKeyId!: string;

  @ApiProperty({ type: 'integer', example: 1, description: 'The file handed out, as `part` in `files`' })
  part!: number;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '203.0.113.7',
    description: 'The client address: the TCP peer, or with `TRUST_PROXY` the address the trusted proxies saw; null when it is not an IP address',
  })
  clientIp!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'curl/8.5.0',
    description: `The request's User-Agent, control characters removed, at most ${MAX_AUDITED_USER_AGENT} characters; null when none was sent`,
  })
  userAgent!: string | null;
}

export class ExportDownloadPageDto {
  @ApiProperty({ type: [ExportDownloadDto], description: 'Newest first' })
  items!: ExportDownloadDto[];

  @ApiProperty({ example: 0 })
  page!: number;

  @ApiProperty({ example: 20 })
  limit!: number;

  @ApiProperty({ example: 3, description: 'Download records of the export, on every page' })
  totalItems!: number;
}
