import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The per-key request budgets of the gateways, shared by every instance: one row per key
 * (its hash) and window, in the layout the limiter library reads. UNLOGGED: counters are
 * rewritten on every request and worth no WAL; a crash of the server only resets the windows.
 */
export class RateLimits1764835200000 implements MigrationInterface {
  name = 'RateLimits1764835200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE UNLOGGED TABLE api_rate_limits (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE api_rate_limits`);
  }
}
