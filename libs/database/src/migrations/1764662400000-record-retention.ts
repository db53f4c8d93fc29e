import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Finished exports are removed, rows and files, after EXPORT_RECORD_RETENTION_DAYS: the sweeper
 * looks for the oldest finished rows, which this index finds without reading the whole registry.
 */
export class RecordRetention1764662400000 implements MigrationInterface {
  name = 'RecordRetention1764662400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX exports_finished ON exports ((coalesce(completed_at, updated_at))) WHERE status <> 'PENDING'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX exports_finished`);
  }
}
