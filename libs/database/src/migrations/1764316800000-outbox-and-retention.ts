import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox: export runs and lifecycle events written in the same transaction as the
 * export row they belong to, published by a relay once NATS has them. Plus the
 * bookkeeping of file retention.
 */
export class OutboxAndRetention1764316800000 implements MigrationInterface {
  name = 'OutboxAndRetention1764316800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        export_id uuid NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
        account_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('run', 'completed', 'failed', 'expired')),
        run int NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        publish_after timestamptz NOT NULL DEFAULT now(),
        attempts int NOT NULL DEFAULT 0
      );
      CREATE INDEX outbox_due ON outbox (publish_after, id);
      CREATE INDEX outbox_export ON outbox (export_id);
      ALTER TABLE exports ADD COLUMN file_purged_at timestamptz;
      CREATE INDEX exports_file_expiry ON exports (file_expires_at) WHERE file_purged_at IS NULL AND object_key IS NOT NULL;
      CREATE INDEX exports_link_expiry ON exports (link_expires_at) WHERE status = 'COMPLETED';
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP INDEX exports_link_expiry;
      DROP INDEX exports_file_expiry;
      ALTER TABLE exports DROP COLUMN file_purged_at;
      DROP TABLE outbox;
    `);
  }
}
