import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every table the services own; indexes lead with account_id.
 * Ids sort bytewise (COLLATE "C") so file order and keyset pages do not depend on the locale.
 */
export class InitialSchema1764230400000 implements MigrationInterface {
  name = 'InitialSchema1764230400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE accounts (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        key_hash text NOT NULL,
        key_prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      );
      CREATE UNIQUE INDEX api_keys_key_hash ON api_keys (key_hash);
      CREATE INDEX api_keys_account ON api_keys (account_id);

      CREATE TABLE exports (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        type text NOT NULL CHECK (type IN ('CONTACTS', 'DELIVERY_REPORTS', 'MESSAGE_HISTORY')),
        status text NOT NULL CHECK (status IN ('PENDING', 'COMPLETED', 'EXPIRED', 'FAILED')),
        filters jsonb NOT NULL,
        timezone text NOT NULL DEFAULT 'UTC',
        run int NOT NULL DEFAULT 1,
        attempts int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        heartbeat_at timestamptz,
        completed_at timestamptz,
        link_expires_at timestamptz,
        file_expires_at timestamptz,
        row_count bigint,
        size_bytes bigint,
        sha256 text,
        file_name text,
        object_key text,
        rows_exported bigint NOT NULL DEFAULT 0,
        error_code text,
        error_message text,
        idempotency_key text,
        request_hash text
      );
      CREATE INDEX exports_account_created ON exports (account_id, created_at DESC, id DESC);
      CREATE UNIQUE INDEX exports_account_idempotency ON exports (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE INDEX exports_pending ON exports (heartbeat_at) WHERE status = 'PENDING';

      CREATE TABLE contacts (
        account_id uuid NOT NULL,
        id text COLLATE "C" NOT NULL,
        phone_number text,
        email text,
        first_name text,
        last_name text,
        gender text,
        list_ids text[] NOT NULL DEFAULT '{}',
        custom_fields jsonb,
        is_test boolean,
        created_at timestamptz,
        updated_at timestamptz NOT NULL,
        deleted_at timestamptz,
        PRIMARY KEY (account_id, id)
      );
      CREATE INDEX contacts_list_ids ON contacts USING gin (list_ids);

      CREATE TABLE messages (
        account_id uuid NOT NULL,
        message_id text COLLATE "C" NOT NULL,
        customer_message_id text,
        campaign_id text,
        channel text NOT NULL,
        direction text NOT NULL,
        sender text NOT NULL,
        destination text NOT NULL,
        body text NOT NULL,
        status text NOT NULL,
        status_description text,
        error_code text,
        status_at timestamptz NOT NULL,
        send_date timestamptz NOT NULL,
        delivery_date timestamptz,
        cost numeric(14, 6),
        parts int NOT NULL DEFAULT 1,
        PRIMARY KEY (account_id, message_id)
      );
      CREATE INDEX messages_browse ON messages (account_id, channel, send_date, message_id);
      CREATE INDEX messages_export ON messages (account_id, send_date, message_id);
      CREATE INDEX messages_campaign ON messages (account_id, campaign_id) WHERE campaign_id IS NOT NULL;

      CREATE TABLE delivery_reports (
        account_id uuid NOT NULL,
        message_id text COLLATE "C" NOT NULL,
        status text NOT NULL,
        occurred_at timestamptz NOT NULL,
        status_description text,
        error_code text,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, message_id, status, occurred_at)
      );
      CREATE INDEX delivery_reports_export ON delivery_reports (account_id, occurred_at, message_id);
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE delivery_reports, messages, contacts, exports, api_keys, accounts`);
  }
}
