import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lifecycle events carry the export as it was at the change: the row is kept with the outbox
 * entry, so a relay that publishes late (NATS down, a re-run meanwhile) does not send a later state.
 */
export class OutboxSnapshot1764403200000 implements MigrationInterface {
  name = 'OutboxSnapshot1764403200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox ADD COLUMN snapshot jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox DROP COLUMN snapshot`);
  }
}
