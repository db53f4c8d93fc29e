import { Body, Controller, Get, Post, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { BrowseMessageHistoryQueryDto, CreateMessageHistoryExportDto, ErrorCode, ExportResourceDto, ExportType, MessageHistoryPageDto } from '@exports/contracts';
import { AccountId } from '../auth/account-id.decorator';
import { ApiErrors, KEYED } from '../docs/api-errors.decorator';
import { ExportsService } from '../exports/exports.service';
import { createExport, CreateExportRoute } from '../exports/create-export';
import { IdempotencyKey } from '../exports/idempotency-key.decorator';
import { HistoryClient } from './history.client';

@ApiTags('message history')
@ApiSecurity('apiKey')
@Controller('messages/history')
export class HistoryController {
  constructor(
    private readonly history: HistoryClient,
    private readonly exports: ExportsService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Browse message history',
    description:
      'Messages of one or more channels sent between `from` and `to` (inclusive), oldest first, by `sendDate` then `messageId`. ' +
      'Page with `page` (0-based) or, at any depth for the same cost, with `cursor` = the previous `nextCursor`.',
  })
  @ApiOkResponse({ type: MessageHistoryPageDto })
  @ApiErrors(ErrorCode.Validation, ...KEYED)
  browse(@AccountId() accountId: string, @Query() query: BrowseMessageHistoryQueryDto): Promise<MessageHistoryPageDto> {
    return this.history.browse(accountId, query);
  }

  @Post('export')
  @CreateExportRoute('Export message history (CSV)', 'Registers a CSV export of the messages sent in the range and answers at once.')
  export(
    @AccountId() accountId: string,
    @Body() body: CreateMessageHistoryExportDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ExportResourceDto> {
    return createExport(this.exports, response, { accountId, type: ExportType.MessageHistory, body, idempotencyKey });
  }
}
