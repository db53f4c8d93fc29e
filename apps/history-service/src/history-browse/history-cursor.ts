import { createHmac, timingSafeEqual } from 'node:crypto';
import { ID_PATTERN } from '@exports/contracts';

/** Where the next page starts: after this (sendDate, messageId), numbered `page`. */
export interface CursorPosition {
  /** send_date exactly as stored, in UTC with microseconds (a JS Date would drop them). */
  sendKey: string;
  messageId: string;
  page: number;
}

/** The query a cursor belongs to; the same cursor with other filters is refused. */
export interface CursorScope {
  accountId: string;
  channels: readonly string[];
  statuses?: readonly string[];
  from: string;
  to: string;
}

const SEND_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const MAC_BYTES = 16;

/**
 * Opaque keyset cursors: base64url JSON of the last row's (sendDate, messageId) and the
 * next page number, then an HMAC over it and the query it belongs to. The MAC makes a
 * tampered cursor, or one used with other filters, a clean validation error.
 */
export class HistoryCursor {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', 'history-cursor/v1').update(secret).digest();
  }

  encode(position: CursorPosition, scope: CursorScope): string {
    const payload = Buffer.from(JSON.stringify({ s: position.sendKey, m: position.messageId, p: position.page })).toString('base64url');
    return `${payload}.${this.mac(payload, scope).toString('base64url')}`;
  }

  /** The position, or undefined when the cursor was not made by us for this query. */
  decode(cursor: string, scope: CursorScope): CursorPosition | undefined {
    const [payload, mac, extra] = cursor.split('.');
    if (!payload || !mac || extra !== undefined) return undefined;
    const given = Buffer.from(mac, 'base64url');
    const expected = this.mac(payload, scope);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const { s, m, p } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { s?: unknown; m?: unknown; p?: unknown };
      if (typeof s !== 'string' || !SEND_KEY.test(s) || typeof m !== 'string' || !ID_PATTERN.test(m)) return undefined;
      if (typeof p !== 'number' || !Number.isSafeInteger(p) || p < 1) return undefined;
      return { sendKey: s, messageId: m, page: p };
    } catch {
      return undefined;
    }
  }

  private mac(payload: string, scope: CursorScope): Buffer {
    const canonical = [
      scope.accountId.toLowerCase(),
      [...new Set(scope.channels)].sort().join(','),
      scope.statuses?.length ? [...new Set(scope.statuses)].sort().join(',') : '*',
      new Date(scope.from).toISOString(),
      new Date(scope.to).toISOString(),
      payload,
    ].join('\n');
    return createHmac('sha256', this.key).update(canonical).digest().subarray(0, MAC_BYTES);
  }
}
