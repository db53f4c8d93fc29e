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
 * An item in the documented field order; empty optional values are undefined, which the JSON of
 * the reply leaves out. One literal of a fixed shape: spreading one-key objects for the optional
 * fields cost several times more, on every row of every page.
 */
function toItem(row: MessageRow): MessageHistoryItemDto {
  return {
    messageId: row.message_id,
    customerMessageId: row.customer_message_id ?? undefined,
    channel: row.channel as Channel,
    direction: row.direction as MessageDirection,
    sender: row.sender,
    destination: row.destination,
    body: row.body,
    status: row.status as DeliveryStatus,
    statusDescription: row.status_description ?? undefined,
    errorCode: row.error_code ?? undefined,
    sendDate: row.send_date.toISOString(),
    deliveryDate: row.delivery_date?.toISOString(),
    cost: row.cost === null ? undefined : Number(row.cost),
    parts: row.parts,
  };
}
