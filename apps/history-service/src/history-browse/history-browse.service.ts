import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  BrowseMessageHistoryRequest,
  browseViolations,
  Channel,
  DeliveryStatus,
  describeViolations,
  resolveDateRange,
  MessageDirection,
  MessageHistoryItemDto,
  MessageHistoryPageDto,
} from '@exports/contracts';
import { AppConfig, DomainError, ErrorCode } from '@exports/platform';
import { CursorScope, HistoryCursor } from './history-cursor';
import { MessageRow, messagesPageSql } from './messages-page.query';

/** Browsing message history: one page by offset (`page`) or by keyset (`cursor`). */
@Injectable()
export class HistoryBrowseService {
  private readonly cursors: HistoryCursor;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {
    this.cursors = new HistoryCursor(config.CURSOR_SECRET);
  }

  async browse(query: BrowseMessageHistoryRequest): Promise<MessageHistoryPageDto> {
    // Date-only bounds become the day's first and last instants in the query's zone, before anything reads them.
    const request = resolveDateRange(query, ['from', 'to'], query.timezone);
    const violations = browseViolations(request, this.config.EXPORT_MAX_RANGE_DAYS);
    if (violations.length) throw new DomainError(ErrorCode.Validation, describeViolations(violations), violations);

    const channels = [...new Set(request.channel)];
    const statuses = request.status ? [...new Set(request.status)] : undefined;
    const scope: CursorScope = { accountId: request.accountId, channels, statuses, from: request.from, to: request.to };
    const after = request.cursor === undefined ? undefined : this.cursors.decode(request.cursor, scope);
    if (request.cursor !== undefined && !after) {
      const message = 'cursor is not valid for this query: pass nextCursor unchanged, with the same channel, status, from and to';
      throw new DomainError(ErrorCode.Validation, message, [{ field: 'cursor', message }]);
    }
    const page = after ? after.page : (request.page ?? 0);
    const limit = request.limit;
    if (Date.parse(request.from) > Date.parse(request.to)) return { messages: [], page, limit, hasMore: false, nextCursor: null };

    const { sql, params } = messagesPageSql({
      accountId: request.accountId,
      channels,
      statuses,
      from: request.from,
      to: request.to,
      after,
      offset: after ? 0 : page * limit,
      take: limit + 1,
    });
    const rows: MessageRow[] = await this.dataSource.query(sql, params);
    const hasMore = rows.length > limit;
    const shown = rows.slice(0, limit);
    const last = shown[shown.length - 1];
    return {
      messages: shown.map(toItem),
      page,
      limit,
      hasMore,
      nextCursor: hasMore ? this.cursors.encode({ sendKey: last.send_key, messageId: last.message_id, page: page + 1 }, scope) : null,
    };
  }
}

/**
 * An item in the documented field order; empty optional values are left out. Built by
 * assignment in that order (object spreads of one-key objects cost several times more, on
 * every row of every page).
 */
function toItem(row: MessageRow): MessageHistoryItemDto {
  const item = { messageId: row.message_id } as MessageHistoryItemDto;
  if (row.customer_message_id !== null) item.customerMessageId = row.customer_message_id;
  item.channel = row.channel as Channel;
  item.direction = row.direction as MessageDirection;
  item.sender = row.sender;
  item.destination = row.destination;
  item.body = row.body;
  item.status = row.status as DeliveryStatus;
  if (row.status_description !== null) item.statusDescription = row.status_description;
  if (row.error_code !== null) item.errorCode = row.error_code;
  item.sendDate = row.send_date.toISOString();
  if (row.delivery_date !== null) item.deliveryDate = row.delivery_date.toISOString();
  if (row.cost !== null) item.cost = Number(row.cost);
  item.parts = row.parts;
  return item;
}
