import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The account's unfinished exports, counted under the account's lock, for a capped insert that is
 * one statement (one round trip, no transaction held open across the network). The function takes
 * the account's advisory lock (the one every account-wide change takes, held until commit) and only
 * then counts, in a statement of its own: under READ COMMITTED that count has a snapshot taken
 * after the lock, so it sees every export committed by the request that held the lock before.
 * Counted up to `cap`: the cap needs no more, and the open-exports index reads no more.
 */
export class OpenExportsLocked1764921600000 implements MigrationInterface {
  name = 'OpenExportsLocked1764921600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION open_exports_locked(account uuid, cap integer) RETURNS integer
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        open integer;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended(account::text, 0));
        SELECT count(*)::int INTO open FROM (SELECT 1 FROM exports WHERE account_id = account AND status = 'PENDING' LIMIT cap) AS pending;
        RETURN open;
      END
      $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION open_exports_locked(uuid, integer)`);
  }
}
