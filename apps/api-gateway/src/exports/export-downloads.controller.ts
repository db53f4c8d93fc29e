import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DownloadExportQueryDto, ExportDownloadLinkDto, ExportDownloadPageDto, ListExportDownloadsQueryDto } from '@exports/contracts';
import type { Downloader } from '@exports/database';
import { ErrorCode } from '@exports/platform';
import { AccountId } from '../auth/account-id.decorator';
import { ApiErrors, KEYED } from '../docs/api-errors.decorator';
import { RequestDownloader } from './downloader';
import { ExportDownloadsService } from './export-downloads.service';
import { ApiExportId, exportIdPipe } from './exports.controller';

/** The audited download of an export's files, and its record. */
@ApiTags('exports')
@ApiSecurity('apiKey')
@Controller('exports')
export class ExportDownloadsController {
  constructor(private readonly downloads: ExportDownloadsService) {}

  @Get(':exportId/download')
  @ApiOperation({
    summary: 'Download a file of an export (audited)',
    description:
      'Records the download (time, API key id, client address, user agent) and answers 302 to a fresh presigned link of the file, which ends when ' +
      'the export\'s link ends (`linkExpiresAt`), as the links of `GET /exports/{exportId}` do. A split export needs `part`. ' +
      'With an `Accept` header that prefers `application/json` to `application/octet-stream` (`Accept: application/json`) the answer is 200 with the link as JSON instead, ' +
      'recorded alike: for clients that fetch the link themselves, without sending their API key to the file host. ' +
      'Only downloads through this route are recorded and counted (`downloadCount`); the `downloadUrl`s of `GET /exports/{exportId}` are not.',
  })
  @ApiOkResponse({ type: ExportDownloadLinkDto, description: 'Asked with `Accept: application/json`: recorded, and the link as JSON' })
  @ApiExportId()
  @ApiResponse({
    status: 302,
    description: 'Recorded: the file is at `Location`',
    headers: {
      Location: {
        description: 'Presigned GET link to the file; anyone holding it can download until the export\'s `linkExpiresAt`',
        required: true,
        schema: { type: 'string', format: 'uri' },
        example: 'https://files.example.com/exports/7c9e6679-7425-40de-944b-e07fc1f90ae7/0b7d6c1e-3f0a-4a8e-9d51-2f4c8e6b1a90/1/part-1.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=2f1c0e9d',
      },
      'Cache-Control': { description: 'Not to be stored: each download is recorded', required: true, schema: { type: 'string', enum: ['no-store'] } },
    },
  })
  @ApiErrors(ErrorCode.Validation, ErrorCode.LinkExpired, ErrorCode.NotFound, ErrorCode.ExportNotReady, ErrorCode.ExportChanged, ...KEYED)
  async download(
    @AccountId() accountId: string,
    @Param('exportId', exportIdPipe) exportId: string,
    @Query() query: DownloadExportQueryDto,
    @RequestDownloader() downloader: Downloader,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const link = await this.downloads.download(accountId, exportId, query.part, downloader);
    // Each answer hands out a link and is recorded: none is to be served again from a cache.
    response.setHeader('Cache-Control', 'no-store');
    if (request.accepts(['application/octet-stream', 'application/json']) === 'application/json') {
      response.status(200).json(link);
      return;
    }
    response.status(302).setHeader('Location', link.downloadUrl).end();
  }

  @Get(':exportId/downloads')
  @ApiOperation({
    summary: 'List the downloads of an export',
    description: 'The downloads recorded by `GET /exports/{exportId}/download`, newest first; `page` is 0-based. Kept as long as the export.',
  })
  @ApiExportId()
  @ApiOkResponse({ type: ExportDownloadPageDto, description: 'One page of the download records of the export' })
  @ApiErrors(ErrorCode.Validation, ErrorCode.NotFound, ...KEYED)
  list(@AccountId() accountId: string, @Param('exportId', exportIdPipe) exportId: string, @Query() query: ListExportDownloadsQueryDto): Promise<ExportDownloadPageDto> {
    return this.downloads.list(accountId, exportId, query);
  }
}
