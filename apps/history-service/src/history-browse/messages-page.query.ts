import { Channel, DeliveryStatus } from '@exports/contracts';

export interface MessagesPageQuery {
  accountId: string;
  /** Distinct channels; each is read on its own index range, then merged. */
  channels: readonly Channel[];
  statuses?: readonly DeliveryStatus[];
  from: string;
  to: string;
  /** Keyset: rows strictly after this (send_date, message_id). */
  after?: { sendKey: string; messageId: string };
  offset: number;
  /** Rows to return: the page size plus one, to know whether there is more. */
  take: number;
}

export interface MessageRow {
  message_id: string;
  customer_message_id: string | null;
  channel: string;
  direction: string;
  sender: string;
  destination: string;
  body: string;
  status: string;
  status_description: string | null;
  error_code: string | null;
  send_date: Date;
  send_key: string;
  delivery_date: Date | null;
  cost: string | null;
  parts: number;
}

const COLUMNS = `message_id, customer_message_id, channel, direction, sender, destination, body, status, status_description,
  error_code, send_date, to_char(send_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS send_key, delivery_date,
  trim_scale(cost)::text AS cost, parts`;

/**
 * One page in keyset order (send_date, message_id). Each channel is one range of the
 * index (account_id, channel, send_date, message_id), read in order and cut by LIMIT,
 * so a cursor page costs the same at any depth; several channels are merged on top.
 */
export function messagesPageSql(query: MessagesPageQuery): { sql: string; params: unknown[] } {
  const params: unknown[] = [query.accountId, query.from, query.to];
  const where = ['account_id = $1', 'send_date >= $2::timestamptz', 'send_date <= $3::timestamptz'];
  if (query.statuses?.length) {
    params.push(query.statuses);
    where.push(`status = ANY($${params.length}::text[])`);
  }
  if (query.after) {
    params.push(query.after.sendKey, query.after.messageId);
    where.push(`(send_date, message_id) > ($${params.length - 1}::timestamptz, $${params.length}::text)`);
  }
  const perChannel = (channel: Channel, limit: number, offset: number) => {
    params.push(channel);
    return `SELECT ${COLUMNS} FROM messages WHERE ${where.join(' AND ')} AND channel = $${params.length}
      ORDER BY send_date, message_id LIMIT ${limit}${offset ? ` OFFSET ${offset}` : ''}`;
  };
  if (query.channels.length === 1) {
    return { sql: perChannel(query.channels[0], query.take, query.offset), params };
  }
  const parts = query.channels.map((channel) => `(${perChannel(channel, query.offset + query.take, 0)})`);
  const sql = `SELECT * FROM (${parts.join(' UNION ALL ')}) AS page
    ORDER BY send_date, message_id COLLATE "C" LIMIT ${query.take}${query.offset ? ` OFFSET ${query.offset}` : ''}`;
  return { sql, params };
}
