import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The export request path at a few hundred requests a second:
 * - every request counts the account's unfinished exports (the per-account cap): an index of
 *   PENDING rows alone lets the count skip the account's finished history;
 * - the outbox is a queue (every row is deleted soon after it is written): vacuumed after a
 *   fixed number of dead rows rather than a fraction of a table that is nearly always empty.
 */
export class RequestPathTuning1764489600000 implements MigrationInterface {
  name = 'RequestPathTuning1764489600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX exports_account_open ON exports (account_id) WHERE status = 'PENDING'`);
    await queryRunner.query(`ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold)`);
    await queryRunner.query(`DROP INDEX exports_account_open`);
  }
}
