import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { BrowseMessageHistoryQueryDto, CreateMessageHistoryExportDto, ExportResourceDto, ExportType, MessageHistoryPageDto } from '@exports/contracts';
import { AccountId } from '../auth/account-id.decorator';
import { ApiErrors } from '../docs/api-errors.decorator';
import { ExportsService } from '../exports/exports.service';
import { ApiIdempotencyKey, IdempotencyKey } from '../exports/idempotency-key.decorator';
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
  @ApiErrors(400, 401, 429, 503)
  browse(@AccountId() accountId: string, @Query() query: BrowseMessageHistoryQueryDto): Promise<MessageHistoryPageDto> {
    return this.history.browse(accountId, query);
  }

  @Post('export')
  @HttpCode(202)
  @ApiOperation({ summary: 'Export message history (CSV)', description: 'Registers a CSV export of the messages sent in the range and answers at once.' })
  @ApiIdempotencyKey()
  @ApiAcceptedResponse({ type: ExportResourceDto })
  @ApiOkResponse({ type: ExportResourceDto, description: 'Replay of an earlier request with the same Idempotency-Key' })
  @ApiErrors(400, 401, 409, 413, 429, 503)
  async export(
    @AccountId() accountId: string,
    @Body() body: CreateMessageHistoryExportDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ExportResourceDto> {
    const { resource, replayed } = await this.exports.createOnce(accountId, ExportType.MessageHistory, body, idempotencyKey);
    if (replayed) response.status(200);
    return resource;
  }
}
