import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks: the endpoints of each account (URL, events, signing secret sealed with
 * WEBHOOK_SECRET_KEY, the previous secret while it still signs after a rotation, and why an
 * endpoint was disabled, since when it has been failing and when it last failed), and one delivery
 * per event and endpoint with how its attempts went.
 * The body of a delivery is kept as sent, so every attempt signs the same bytes.
 * `webhook_endpoints_locked` counts an account's endpoints after taking a lock of the account's
 * own for them (as `open_exports_locked` does for exports): under READ COMMITTED the count, a
 * statement of its own, sees every endpoint committed by the request that held the lock before.
 */
export class Webhooks1765267200000 implements MigrationInterface {
  name = 'Webhooks1765267200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        url text NOT NULL CHECK (length(url) <= 2048),
        events text[] NOT NULL CHECK (cardinality(events) > 0),
        secret_sealed text NOT NULL,
        previous_secret_sealed text,
        previous_secret_expires_at timestamptz,
        enabled boolean NOT NULL DEFAULT true,
        disabled_at timestamptz,
        disabled_reason text,
        failing_since timestamptz,
        last_failed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX webhook_endpoints_account ON webhook_endpoints (account_id, created_at DESC, id)`);
    await queryRunner.query(`
      CREATE FUNCTION webhook_endpoints_locked(account uuid) RETURNS integer
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        endpoints integer;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended(account::text, 1));
        SELECT count(*)::int INTO endpoints FROM webhook_endpoints WHERE account_id = account;
        RETURN endpoints;
      END
      $$`);
    await queryRunner.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY,
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        account_id uuid NOT NULL,
        event_id text NOT NULL,
        event_type text NOT NULL,
        export_id uuid NOT NULL,
        body text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
        last_http_status integer,
        last_latency_ms integer,
        last_error text,
        next_retry_at timestamptz,
        first_failed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        UNIQUE (endpoint_id, event_id)
      )`);
    await queryRunner.query(`CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC, id)`);
    await queryRunner.query(`CREATE INDEX webhook_deliveries_event ON webhook_deliveries (account_id, event_id)`);
    // The sweep for overdue PENDING deliveries (a lost job).
    await queryRunner.query(`CREATE INDEX webhook_deliveries_pending ON webhook_deliveries ((coalesce(next_retry_at, created_at))) WHERE status = 'PENDING'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE webhook_deliveries`);
    await queryRunner.query(`DROP FUNCTION webhook_endpoints_locked(uuid)`);
    await queryRunner.query(`DROP TABLE webhook_endpoints`);
  }
}
