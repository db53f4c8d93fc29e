import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import {
  CreateContactsExportDto,
  CreateDeliveryReportsExportDto,
  DownloadLinkDto,
  ExportPageDto,
  ExportResourceDto,
  ExportType,
  ListExportsQueryDto,
} from '@exports/contracts';
import { DomainError, ErrorCode } from '@exports/platform';
import { AccountId } from '../auth/account-id.decorator';
import { ApiErrors } from '../docs/api-errors.decorator';
import { ExportsService } from './exports.service';
import { createExport, CreateExportRoute } from './create-export';
import { IdempotencyKey } from './idempotency-key.decorator';

const ApiExportId = () => ApiParam({ name: 'exportId', format: 'uuid', description: 'The export, as `exportId` in its resource', example: '0b7d6c1e-3f0a-4a8e-9d51-2f4c8e6b1a90' });

const exportIdPipe = new ParseUUIDPipe({
  exceptionFactory: () => new DomainError(ErrorCode.Validation, 'exportId must be a UUID', [{ field: 'exportId', message: 'exportId must be a UUID' }]),
});

@ApiTags('exports')
@ApiSecurity('apiKey')
@Controller('exports')
export class ExportsController {
  constructor(private readonly exports: ExportsService) {}

  // The create routes come before POST /exports/:exportId: Nest registers a controller's routes in order.
  @Post('contacts')
  @CreateExportRoute('Export contacts', 'Registers a CSV export of the contacts (all, or by list or id) and answers at once.')
  createContacts(
    @AccountId() accountId: string,
    @Body() body: CreateContactsExportDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ExportResourceDto> {
    return createExport(this.exports, response, { accountId, type: ExportType.Contacts, body, idempotencyKey });
  }

  @Post('delivery-reports')
  @CreateExportRoute(
    'Export delivery reports',
    'Registers a CSV export with one row per delivery report, by campaign and/or by the range of `occurredAt`, and answers at once.',
  )
  createDeliveryReports(
    @AccountId() accountId: string,
    @Body() body: CreateDeliveryReportsExportDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ExportResourceDto> {
    return createExport(this.exports, response, { accountId, type: ExportType.DeliveryReports, body, idempotencyKey });
  }

  @Get()
  @ApiOperation({ summary: 'List exports', description: 'Newest first; `page` is 0-based.' })
  @ApiOkResponse({ type: ExportPageDto, description: 'One page of the exports of the account' })
  @ApiErrors(400, 401, 429, 503)
  list(@AccountId() accountId: string, @Query() query: ListExportsQueryDto): Promise<ExportPageDto> {
    return this.exports.list(accountId, query);
  }

  @Get(':exportId')
  @ApiOperation({ summary: 'Get a download link', description: 'A presigned link to the file of a COMPLETED export.' })
  @ApiExportId()
  @ApiOkResponse({ type: DownloadLinkDto, description: 'A presigned link, valid until `expiresAt`' })
  @ApiErrors(400, 401, 404, 409, 429, 503)
  link(@AccountId() accountId: string, @Param('exportId', exportIdPipe) exportId: string): Promise<DownloadLinkDto> {
    return this.exports.link(accountId, exportId);
  }

  @Post(':exportId')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Regenerate the download link',
    description: '200 with a fresh link while the file is kept; 202 with the export when it is run again (file purged, or export FAILED).',
  })
  @ApiExportId()
  @ApiOkResponse({ type: DownloadLinkDto, description: 'File still kept: a fresh link' })
  @ApiAcceptedResponse({ type: ExportResourceDto, description: 'File purged, or export FAILED: the export runs again with the same filters (PENDING)' })
  @ApiErrors(400, 401, 404, 409, 429, 503)
  async regenerate(
    @AccountId() accountId: string,
    @Param('exportId', exportIdPipe) exportId: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<DownloadLinkDto | ExportResourceDto> {
    const result = await this.exports.regenerate(accountId, exportId);
    if (result.kind === 'link') return result.link;
    response.status(202);
    return result.resource;
  }
}
