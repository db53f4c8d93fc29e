import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The download audit: one row per download handed out by `GET /exports/{exportId}/download`
 * (when, which API key, which part, the client address and user agent; never the link), kept as
 * long as its export (removed with it), and on the export the count and time of the last one,
 * written in the same statement as the row so a read of the export needs no count.
 */
export class ExportDownloads1765180800000 implements MigrationInterface {
  name = 'ExportDownloads1765180800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE export_downloads (
        id uuid PRIMARY KEY,
        export_id uuid NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
        account_id uuid NOT NULL,
        api_key_id uuid NOT NULL,
        part integer NOT NULL CHECK (part >= 1),
        client_ip inet,
        user_agent text CHECK (char_length(user_agent) <= 512),
        downloaded_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Pages of one export's records, newest first.
    await queryRunner.query(`CREATE INDEX export_downloads_by_export ON export_downloads (export_id, downloaded_at DESC, id DESC)`);
    // The account purge removes an account's records by account.
    await queryRunner.query(`CREATE INDEX export_downloads_by_account ON export_downloads (account_id)`);
    await queryRunner.query(`
      ALTER TABLE exports
        ADD COLUMN download_count integer NOT NULL DEFAULT 0,
        ADD COLUMN last_downloaded_at timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE exports DROP COLUMN last_downloaded_at, DROP COLUMN download_count`);
    await queryRunner.query(`DROP TABLE export_downloads`);
  }
}
