import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every outbox entry carries its export row (run entries included), so the relay reads the
 * outbox alone: entries written before get their row now.
 */
export class OutboxSnapshotAlways1764748800000 implements MigrationInterface {
  name = 'OutboxSnapshotAlways1764748800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE outbox o SET snapshot = to_jsonb(e) FROM exports e WHERE o.snapshot IS NULL AND e.id = o.export_id`);
    await queryRunner.query(`ALTER TABLE outbox ALTER COLUMN snapshot SET NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox ALTER COLUMN snapshot DROP NOT NULL`);
  }
}
