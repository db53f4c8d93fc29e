import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What an export asks of its file, beside its filters: the format, the columns (NULL for all of
 * them) and the rows per file; and, once COMPLETED, the files its run wrote (one, or one per part),
 * each with its object key, rows, bytes and SHA-256. Exports completed before keep `files` NULL:
 * their one file is the row's own file_name/object_key.
 */
export class ExportOutput1765008000000 implements MigrationInterface {
  name = 'ExportOutput1765008000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE exports
        ADD COLUMN format text NOT NULL DEFAULT 'csv' CHECK (format IN ('csv', 'csv.gz', 'jsonl', 'jsonl.gz')),
        ADD COLUMN columns text[],
        ADD COLUMN max_rows_per_file integer NOT NULL DEFAULT 1000000 CHECK (max_rows_per_file BETWEEN 1 AND 1048575),
        ADD COLUMN files jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE exports DROP COLUMN files, DROP COLUMN max_rows_per_file, DROP COLUMN columns, DROP COLUMN format`);
  }
}
