import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CreateDeliveryReportsExportDto, ExportResourceDto, ExportType } from '@exports/contracts';
import { AccountId } from '../auth/account-id.decorator';
import { ApiErrors } from '../docs/api-errors.decorator';
import { ApiIdempotencyKey, IdempotencyKey } from '../exports/idempotency-key.decorator';
import { ExportsService } from '../exports/exports.service';

/** `POST /exports/delivery-reports`; registered before ExportsController so `POST /exports/:exportId` does not take it. */
@ApiTags('exports')
@ApiSecurity('apiKey')
@Controller('exports')
export class DeliveryReportsExportController {
  constructor(private readonly exports: ExportsService) {}

  @Post('delivery-reports')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Export delivery reports',
    description: 'Registers a CSV export with one row per delivery report, by campaign and/or by the range of `occurredAt`, and answers at once.',
  })
  @ApiIdempotencyKey()
  @ApiAcceptedResponse({ type: ExportResourceDto })
  @ApiOkResponse({ type: ExportResourceDto, description: 'Replay of an earlier request with the same Idempotency-Key' })
  @ApiErrors(400, 401, 409, 413, 429, 503)
  async create(
    @AccountId() accountId: string,
    @Body() body: CreateDeliveryReportsExportDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ExportResourceDto> {
    const { resource, replayed } = await this.exports.createOnce(accountId, ExportType.DeliveryReports, body, idempotencyKey);
    if (replayed) response.status(200);
    return resource;
  }
}
