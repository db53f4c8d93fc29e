import { randomUUID } from 'node:crypto';
import { WebhookDeliveryStatus, WebhookEventType } from '@exports/contracts';
import { SqlRepository } from './sql-repository';

/** A webhook endpoint row; secrets stay sealed here (SecretBox). */
export interface WebhookEndpointRecord {
  id: string;
  accountId: string;
  url: string;
  events: WebhookEventType[];
  secretSealed: string;
  previousSecretSealed?: string;
  previousSecretExpiresAt?: Date;
  enabled: boolean;
  disabledAt?: Date;
  disabledReason?: string;
  failingSince?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookDeliveryRecord {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: WebhookEventType;
  exportId: string;
  attempts: number;
  status: WebhookDeliveryStatus;
  lastHttpStatus?: number;
  lastLatencyMs?: number;
  lastError?: string;
  nextRetryAt?: Date;
  createdAt: Date;
  deliveredAt?: Date;
}

const date = (value: unknown): Date | undefined => (value ? new Date(value as string) : undefined);
const text = (value: unknown): string | undefined => (value === null || value === undefined ? undefined : String(value));
const int = (value: unknown): number | undefined => (value === null || value === undefined ? undefined : Number(value));

export function toWebhookEndpointRecord(row: Record<string, unknown>): WebhookEndpointRecord {
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    url: String(row.url),
    events: row.events as WebhookEventType[],
    secretSealed: String(row.secret_sealed),
    previousSecretSealed: text(row.previous_secret_sealed),
    previousSecretExpiresAt: date(row.previous_secret_expires_at),
    enabled: Boolean(row.enabled),
    disabledAt: date(row.disabled_at),
    disabledReason: text(row.disabled_reason),
    failingSince: date(row.failing_since),
    createdAt: date(row.created_at)!,
    updatedAt: date(row.updated_at)!,
  };
}

function toWebhookDeliveryRecord(row: Record<string, unknown>): WebhookDeliveryRecord {
  return {
    id: String(row.id),
    endpointId: String(row.endpoint_id),
    eventId: String(row.event_id),
    eventType: row.event_type as WebhookEventType,
    exportId: String(row.export_id),
    attempts: Number(row.attempts),
    status: row.status as WebhookDeliveryStatus,
    lastHttpStatus: int(row.last_http_status),
    lastLatencyMs: int(row.last_latency_ms),
    lastError: text(row.last_error),
    nextRetryAt: date(row.next_retry_at),
    createdAt: date(row.created_at)!,
    deliveredAt: date(row.delivered_at),
  };
}

/** How long a rotated-out secret keeps signing beside the new one. */
export const PREVIOUS_SECRET_HOURS = 24;

/**
 * The webhook endpoints of an account and their deliveries, as the account sees them. Every
 * statement filters on the account id: no caller can reach another account's endpoint.
 */
export class WebhooksRepository extends SqlRepository {
  /**
   * Registers an endpoint unless the account already has `max`: one statement, in which
   * `webhook_endpoints_locked` takes the account's webhook lock (held until commit) and only then
   * counts, so concurrent requests count one after the other and cannot pass the cap.
   */
  async create(accountId: string, endpoint: { url: string; events: WebhookEventType[]; secretSealed: string }, max: number): Promise<{ record?: WebhookEndpointRecord; count: number }> {
    const rows = await this.rows(
      `WITH counted AS MATERIALIZED (SELECT webhook_endpoints_locked($2::uuid) AS count),
            inserted AS (
              INSERT INTO webhook_endpoints (id, account_id, url, events, secret_sealed)
              SELECT $1::uuid, $2::uuid, $3::text, $4::text[], $5::text FROM counted WHERE count < $6
              RETURNING *)
       SELECT (SELECT count FROM counted) AS count, to_jsonb(inserted) AS record FROM (SELECT 1) AS one LEFT JOIN inserted ON true`,
      [randomUUID(), accountId, endpoint.url, endpoint.events, endpoint.secretSealed, max],
    );
    const [row] = rows as Array<{ count: number; record: Record<string, unknown> | null }>;
    return { count: row.count, record: row.record ? toWebhookEndpointRecord(row.record) : undefined };
  }

  async list(accountId: string, page: number, limit: number): Promise<{ items: WebhookEndpointRecord[]; totalItems: number }> {
    const [rows, [{ total }]] = await Promise.all([
      this.rows(`SELECT * FROM webhook_endpoints WHERE account_id = $1 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3`, [accountId, limit, page * limit]),
      this.rows<{ total: number }>(`SELECT count(*)::int AS total FROM webhook_endpoints WHERE account_id = $1`, [accountId]),
    ]);
    return { items: rows.map(toWebhookEndpointRecord), totalItems: total };
  }

  async findOne(accountId: string, id: string): Promise<WebhookEndpointRecord | undefined> {
    const [row] = await this.rows(`SELECT * FROM webhook_endpoints WHERE account_id = $1 AND id = $2`, [accountId, id]);
    return row ? toWebhookEndpointRecord(row) : undefined;
  }

  /** True when it existed; its deliveries go with it. */
  async delete(accountId: string, id: string): Promise<boolean> {
    const rows = await this.rows(`DELETE FROM webhook_endpoints WHERE account_id = $1 AND id = $2 RETURNING id`, [accountId, id]);
    return rows.length > 0;
  }

  /** The new secret signs from now on; the current one beside it for {@link PREVIOUS_SECRET_HOURS}. */
  async rotateSecret(accountId: string, id: string, secretSealed: string): Promise<WebhookEndpointRecord | undefined> {
    const [row] = await this.rows(
      `UPDATE webhook_endpoints
       SET previous_secret_sealed = secret_sealed, previous_secret_expires_at = now() + $4 * interval '1 hour', secret_sealed = $3, updated_at = now()
       WHERE account_id = $1 AND id = $2 RETURNING *`,
      [accountId, id, secretSealed, PREVIOUS_SECRET_HOURS],
    );
    return row ? toWebhookEndpointRecord(row) : undefined;
  }

  /** The deliveries of one endpoint of the account, newest first; undefined when the endpoint is not the account's. */
  async deliveries(accountId: string, endpointId: string, page: number, limit: number): Promise<{ items: WebhookDeliveryRecord[]; totalItems: number } | undefined> {
    if (!(await this.findOne(accountId, endpointId))) return undefined;
    const [rows, [{ total }]] = await Promise.all([
      this.rows(`SELECT * FROM webhook_deliveries WHERE account_id = $1 AND endpoint_id = $2 ORDER BY created_at DESC, id LIMIT $3 OFFSET $4`, [accountId, endpointId, limit, page * limit]),
      this.rows<{ total: number }>(`SELECT count(*)::int AS total FROM webhook_deliveries WHERE account_id = $1 AND endpoint_id = $2`, [accountId, endpointId]),
    ]);
    return { items: rows.map(toWebhookDeliveryRecord), totalItems: total };
  }
}
