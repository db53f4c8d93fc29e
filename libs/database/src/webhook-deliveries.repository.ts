import { WebhookDeliveryStatus, WebhookEventType } from '@exports/contracts';
import { SqlRepository } from './sql-repository';
import { toWebhookEndpointRecord, WebhookEndpointRecord } from './webhooks.repository';

/** One event of an account, to be delivered to each of its enabled endpoints that subscribe to its type. */
export interface WebhookEvent {
  accountId: string;
  eventId: string;
  eventType: WebhookEventType;
  exportId: string;
  /** The JSON body, exactly as it is sent (and signed) on every attempt. */
  body: string;
}

/** A delivery due now, with what sending it needs. */
export interface DueDelivery {
  id: string;
  eventId: string;
  body: string;
  /** Attempts including the one just started. */
  attempts: number;
  createdAt: Date;
  endpoint: WebhookEndpointRecord;
}

/** What became of asking to start an attempt. */
export type DeliveryStart =
  | { kind: 'started'; delivery: DueDelivery }
  /** Gone (its endpoint was deleted), or no longer PENDING: nothing to do. */
  | { kind: 'done' }
  /**
   * A retry that is not due yet (a redelivery after a crash), or an attempt another worker has
   * claimed and may still be making (a duplicate job): this many milliseconds to wait.
   */
  | { kind: 'early'; waitMs: number };

/** How one failed attempt ends: another attempt at `nextRetryAt`, or none (FAILED). */
export interface FailedAttempt {
  httpStatus?: number;
  latencyMs: number;
  error: string;
  nextRetryAt?: Date;
  /** Disable the endpoint now, for this reason (a 410). */
  disableReason?: string;
}

/** When an endpoint counts as failing, and for how long before it is disabled. */
export interface FailingWindow {
  /** Failing for this long (WEBHOOK_DISABLE_AFTER_SECONDS) disables the endpoint. */
  disableAfterSeconds: number;
  /** A failure more than this long after the previous one starts a new failing run (the longest retry delay, with jitter and margin). */
  gapSeconds: number;
  /** The retry schedule's total (WEBHOOK_RETRY_SCHEDULE): a delivery failed for all of it, with no success meanwhile, disables the endpoint. */
  scheduleSeconds: number;
}

/**
 * The delivery side of webhooks (export-worker), across accounts: fans events out into delivery
 * rows, and records each attempt. Every write is conditional on the delivery still being PENDING.
 */
export class WebhookDeliveriesRepository extends SqlRepository {
  /**
   * One PENDING delivery per enabled endpoint of the account subscribed to the event's type,
   * once per (endpoint, event) however often the event arrives. Returns the ids of every delivery
   * of the event still PENDING (new, or left by an earlier arrival that crashed before handing them on).
   */
  async recordEvent(event: WebhookEvent): Promise<string[]> {
    const rows = await this.rows<{ id: string }>(
      `WITH inserted AS (
         INSERT INTO webhook_deliveries (id, endpoint_id, account_id, event_id, event_type, export_id, body)
         SELECT gen_random_uuid(), e.id, e.account_id, $2, $3, $4::uuid, $5
         FROM webhook_endpoints e WHERE e.account_id = $1::uuid AND e.enabled AND $3 = ANY(e.events)
         ON CONFLICT (endpoint_id, event_id) DO NOTHING
         RETURNING id)
       SELECT id FROM inserted
       UNION SELECT id FROM webhook_deliveries WHERE account_id = $1::uuid AND event_id = $2 AND status = 'PENDING'`,
      [event.accountId, event.eventId, event.eventType, event.exportId, event.body],
    );
    return rows.map((row) => String(row.id));
  }

  /**
   * Starts an attempt of a PENDING delivery of an enabled endpoint that is due (counted before the
   * request is sent, so an attempt cut short by a crash still counts), and claims it for
   * `claimSeconds`: `next_retry_at` moves that far ahead, so a second job for the same delivery
   * (a redelivery while this attempt is slow, a republished job) finds it not due and waits,
   * instead of sending it again at the same time; the attempt's outcome then sets `next_retry_at`
   * (a retry) or clears it. A claim left by a crashed worker lapses after `claimSeconds`. A
   * delivery of a disabled endpoint ends FAILED.
   */
  async startAttempt(accountId: string, deliveryId: string, claimSeconds: number): Promise<DeliveryStart> {
    const waiting = await this.notStartable(accountId, deliveryId);
    if (waiting) return waiting;
    const [row] = await this.rows<Record<string, unknown> & { endpoint: Record<string, unknown> }>(
      `UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_retry_at = now() + $3 * interval '1 second'
       FROM webhook_endpoints e
       WHERE d.id = $1 AND d.account_id = $2 AND d.status = 'PENDING' AND e.id = d.endpoint_id AND e.enabled
         AND (d.next_retry_at IS NULL OR d.next_retry_at <= now() + interval '1 second')
       RETURNING d.id, d.event_id, d.body, d.attempts, d.created_at, to_jsonb(e) AS endpoint`,
      [deliveryId, accountId, claimSeconds],
    );
    // Claimed by another job between the two statements (or no longer PENDING): what it is now.
    if (!row) return (await this.notStartable(accountId, deliveryId)) ?? { kind: 'early', waitMs: 1000 };
    return {
      kind: 'started',
      delivery: {
        id: String(row.id),
        eventId: String(row.event_id),
        body: String(row.body),
        attempts: Number(row.attempts),
        createdAt: new Date(row.created_at as string),
        endpoint: toWebhookEndpointRecord(row.endpoint),
      },
    };
  }

  /** Why an attempt cannot start now (done, or this long to wait), or undefined when it may. */
  private async notStartable(accountId: string, deliveryId: string): Promise<DeliveryStart | undefined> {
    const [current] = await this.rows<{ status: string; enabled: boolean; wait_ms: number }>(
      `SELECT d.status, e.enabled, greatest(0, extract(epoch FROM (d.next_retry_at - now())) * 1000)::int AS wait_ms
       FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
       WHERE d.id = $1 AND d.account_id = $2`,
      [deliveryId, accountId],
    );
    if (!current || current.status !== WebhookDeliveryStatus.Pending) return { kind: 'done' };
    if (!current.enabled) {
      // The last attempt's error stays: it is the one that explains the disabling.
      await this.rows(
        `UPDATE webhook_deliveries SET status = 'FAILED', next_retry_at = NULL, last_error = coalesce(last_error, 'The endpoint is disabled') WHERE id = $1 AND status = 'PENDING'`,
        [deliveryId],
      );
      return { kind: 'done' };
    }
    if (current.wait_ms > 1000) return { kind: 'early', waitMs: current.wait_ms };
    return undefined;
  }

  /**
   * PENDING deliveries overdue by more than `overdueSeconds` (past their `next_retry_at`, or their
   * creation when never tried): their job was lost (the stream purged or recreated, a limit hit),
   * since a job waiting in JetStream, or an attempt's claim, keeps a delivery from being overdue
   * for long. Each is marked due now (so no other sweep takes it until it is overdue again) and
   * returned, at most `limit`, for its job to be published again.
   */
  async redriveOverdue(overdueSeconds: number, limit: number): Promise<Array<{ id: string; accountId: string; dueAt: Date }>> {
    const rows = await this.rows<{ id: string; account_id: string; due_at: string }>(
      `WITH due AS (
         SELECT id FROM webhook_deliveries
         WHERE status = 'PENDING' AND coalesce(next_retry_at, created_at) < now() - make_interval(secs => $1)
         ORDER BY coalesce(next_retry_at, created_at) LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE webhook_deliveries d SET next_retry_at = now() FROM due WHERE d.id = due.id
       RETURNING d.id, d.account_id, d.next_retry_at AS due_at`,
      [overdueSeconds, limit],
    );
    return rows.map((row) => ({ id: String(row.id), accountId: String(row.account_id), dueAt: new Date(row.due_at) }));
  }

  /** SUCCEEDED; the endpoint is no longer failing. */
  async succeeded(deliveryId: string, httpStatus: number, latencyMs: number): Promise<void> {
    await this.rows(
      `WITH delivered AS (
         UPDATE webhook_deliveries SET status = 'SUCCEEDED', last_http_status = $2, last_latency_ms = $3, last_error = NULL, next_retry_at = NULL, delivered_at = now()
         WHERE id = $1 AND status = 'PENDING' RETURNING endpoint_id)
       UPDATE webhook_endpoints SET failing_since = NULL, updated_at = now() WHERE id IN (SELECT endpoint_id FROM delivered) AND failing_since IS NOT NULL`,
      [deliveryId, httpStatus, latencyMs],
    );
  }

  /**
   * Records a failed attempt: PENDING until `nextRetryAt`, or FAILED without one. The endpoint is
   * failing since the first failure of an unbroken run of failures: one after a success, or more
   * than `failing.gapSeconds` (the longest a failing delivery waits between attempts) after the
   * previous failure, starts a new run, so a receiver that recovered while no event came is not
   * held to failures of long ago. It is disabled with `disableReason`, once it has been failing
   * for `failing.disableAfterSeconds`, or when this attempt ends a delivery (no `nextRetryAt`)
   * whose every attempt failed within one run: the endpoint failed for the whole retry schedule.
   * Returns the reason it was disabled, if it was now.
   */
  async failed(deliveryId: string, attempt: FailedAttempt, failing: FailingWindow): Promise<string | undefined> {
    const [row] = await this.rows<{ disabled_reason: string | null }>(
      `WITH recorded AS (
         UPDATE webhook_deliveries
         SET status = CASE WHEN $5::timestamptz IS NULL THEN 'FAILED' ELSE 'PENDING' END,
             last_http_status = $2, last_latency_ms = $3, last_error = $4, next_retry_at = $5,
             first_failed_at = coalesce(first_failed_at, now())
         WHERE id = $1 AND status = 'PENDING' RETURNING endpoint_id, first_failed_at),
       failing AS (
         SELECT e.id, e.enabled AS was_enabled, since,
                since <= now() - $7 * interval '1 second' AS failed_long,
                $5::timestamptz IS NULL AND since <= recorded.first_failed_at AS failed_whole_schedule
         FROM webhook_endpoints e JOIN recorded ON recorded.endpoint_id = e.id,
              LATERAL (SELECT CASE WHEN e.failing_since IS NULL OR e.last_failed_at IS NULL OR e.last_failed_at < now() - $9 * interval '1 second' THEN now() ELSE e.failing_since END AS since) run)
       UPDATE webhook_endpoints e
       SET failing_since = failing.since, last_failed_at = now(), updated_at = now(),
           enabled = CASE WHEN $6::text IS NOT NULL OR failing.failed_long OR failing.failed_whole_schedule THEN false ELSE e.enabled END,
           disabled_at = CASE WHEN e.enabled AND ($6::text IS NOT NULL OR failing.failed_long OR failing.failed_whole_schedule) THEN now() ELSE e.disabled_at END,
           disabled_reason = CASE
             WHEN NOT e.enabled THEN e.disabled_reason
             WHEN $6::text IS NOT NULL THEN $6::text
             WHEN failing.failed_long THEN 'Every delivery failed for ' || $8::text || '; last error: ' || $4
             WHEN failing.failed_whole_schedule THEN 'Every attempt of a delivery failed, over its whole retry schedule (' || $10::text || '); last error: ' || $4
             ELSE NULL END
       FROM failing WHERE e.id = failing.id
       RETURNING CASE WHEN failing.was_enabled AND NOT e.enabled THEN e.disabled_reason END AS disabled_reason`,
      [
        deliveryId,
        attempt.httpStatus ?? null,
        attempt.latencyMs,
        attempt.error.slice(0, 1000),
        attempt.nextRetryAt ?? null,
        attempt.disableReason ?? null,
        failing.disableAfterSeconds,
        describeSeconds(failing.disableAfterSeconds),
        failing.gapSeconds,
        describeSeconds(failing.scheduleSeconds),
      ],
    );
    return row?.disabled_reason ?? undefined;
  }
}

function describeSeconds(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
