import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * CANCELLED, the state of an export its account stopped before it completed: a status the check
 * allows, the time of the cancel (cleared by the run a regenerate starts), and the `cancelled`
 * lifecycle event in the outbox. The open-exports cap counts PENDING only, so a cancel frees its
 * slot with the same statement.
 */
export class ExportCancel1765094400000 implements MigrationInterface {
  name = 'ExportCancel1765094400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE exports
        DROP CONSTRAINT exports_status_check,
        ADD CONSTRAINT exports_status_check CHECK (status IN ('PENDING', 'COMPLETED', 'EXPIRED', 'FAILED', 'CANCELLED')),
        ADD COLUMN cancelled_at timestamptz`);
    await queryRunner.query(`
      ALTER TABLE outbox
        DROP CONSTRAINT outbox_kind_check,
        ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('run', 'completed', 'failed', 'expired', 'cancelled'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM outbox WHERE kind = 'cancelled'`);
    await queryRunner.query(`ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check, ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('run', 'completed', 'failed', 'expired'))`);
    await queryRunner.query(`UPDATE exports SET status = 'FAILED', error_code = 'INTERNAL', error_message = 'Cancelled' WHERE status = 'CANCELLED'`);
    await queryRunner.query(`
      ALTER TABLE exports
        DROP COLUMN cancelled_at,
        DROP CONSTRAINT exports_status_check,
        ADD CONSTRAINT exports_status_check CHECK (status IN ('PENDING', 'COMPLETED', 'EXPIRED', 'FAILED'))`);
  }
}
