import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import {
  CreateContactsExportDto,
  CreateDeliveryReportsExportDto,
  ExportDetailDto,
  ExportPageDto,
  ExportResourceDto,
  ExportType,
  ListExportsQueryDto,
} from '@exports/contracts';
import { DomainError, ErrorCode } from '@exports/platform';
import { AccountId } from '../auth/account-id.decorator';
import { ApiErrors, KEYED } from '../docs/api-errors.decorator';
import { ExportsService } from './exports.service';
import { createExport, CreateExportRoute } from './create-export';
import { IdempotencyKey } from './idempotency-key.decorator';

export const ApiExportId = () => ApiParam({ name: 'exportId', format: 'uuid', description: 'The export, as `exportId` in its resource', example: '0b7d6c1e-3f0a-4a8e-9d51-2f4c8e6b1a90' });

/** An id that is not a UUID names no export: 404, as for an unknown one (the id is not echoed). */
export const exportIdPipe = new ParseUUIDPipe({
  exceptionFactory: () => new DomainError(ErrorCode.NotFound, 'Export was not found: exportId is not the id of an export'),
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
  @ApiErrors(ErrorCode.Validation, ...KEYED)
  list(@AccountId() accountId: string, @Query() query: ListExportsQueryDto): Promise<ExportPageDto> {
    return this.exports.list(accountId, query);
  }

  @Get(':exportId')
  @ApiOperation({
    summary: 'Get an export',
    description:
      'The export as it reads now, in every live state: PENDING with its `progress`, FAILED with its `error`, and COMPLETED with ' +
      '`downloadUrl` (a presigned link) and `expiresAt`. An EXPIRED link is a 400 (`LINK_EXPIRED`): regenerate it with `POST /exports/{exportId}`.',
  })
  @ApiExportId()
  @ApiOkResponse({ type: ExportDetailDto, description: 'The export; with `downloadUrl` and `expiresAt` when COMPLETED' })
  @ApiErrors(ErrorCode.LinkExpired, ErrorCode.NotFound, ...KEYED)
  get(@AccountId() accountId: string, @Param('exportId', exportIdPipe) exportId: string): Promise<ExportDetailDto> {
    return this.exports.get(accountId, exportId);
  }

  @Post(':exportId')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Regenerate the download link',
    description: '200 with a fresh link while the file is kept; 202 with the export when it is run again (file purged, or export FAILED).',
  })
  @ApiExportId()
  @ApiOkResponse({ type: ExportDetailDto, description: 'File still kept: the export, COMPLETED, with a fresh link' })
  @ApiAcceptedResponse({ type: ExportResourceDto, description: 'File purged, or export FAILED: the export runs again with the same filters (PENDING)' })
  @ApiErrors(ErrorCode.Validation, ErrorCode.PayloadTooLarge, ErrorCode.NotFound, ErrorCode.ExportNotReady, ErrorCode.ExportChanged, ErrorCode.TooManyOpenExports, ...KEYED)
  async regenerate(
    @AccountId() accountId: string,
    @Param('exportId', exportIdPipe) exportId: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ExportDetailDto | ExportResourceDto> {
    const result = await this.exports.regenerate(accountId, exportId);
    if (result.kind === 'link') return result.detail;
    response.status(202);
    return result.resource;
  }
}
