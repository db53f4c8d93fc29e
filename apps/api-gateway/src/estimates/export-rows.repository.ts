import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DataSource, QueryRunner } from 'typeorm';
import { ExportSource, exportRowsSelect, Literal, SourceRecord } from '@exports/export-files';
import { QUERY_CANCELED, sqlStateOf } from '@exports/platform';
import { plannedRows } from './query-plan';

/**
 * The rows an export would write, without writing them: the planner's estimate, or the count.
 * Both run the source's own FROM and WHERE, which filter on `record.accountId`; the source SQL
 * takes literals (the export's COPY has no bind parameters), quoted by the connection's client.
 */
@Injectable()
export class ExportRowsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** `EXPLAIN` of the rows: no row is read. */
  async planned(source: ExportSource, record: SourceRecord): Promise<number> {
    return this.withConnection(async (runner, literal) => {
      const [line] = await runner.query(`EXPLAIN (FORMAT JSON) ${exportRowsSelect(source, record, literal, '1')}`);
      return plannedRows(line['QUERY PLAN']);
    });
  }

  /** `count(*)` of the rows, stopped after `timeoutMs`: undefined when it was. */
  async counted(source: ExportSource, record: SourceRecord, timeoutMs: number): Promise<number | undefined> {
    return this.withConnection(async (runner, literal) => {
      await runner.startTransaction();
      try {
        await runner.query(`SET LOCAL statement_timeout = ${timeoutMs}`);
        const [{ rows }] = await runner.query(exportRowsSelect(source, record, literal, 'count(*) AS rows'));
        await runner.commitTransaction();
        return Number(rows);
      } catch (error) {
        await runner.rollbackTransaction();
        if (sqlStateOf(error) === QUERY_CANCELED) return undefined;
        throw error;
      }
    });
  }

  private async withConnection<T>(work: (runner: QueryRunner, literal: Literal) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const client = (await runner.connect()) as PoolClient;
      return await work(runner, (value) => client.escapeLiteral(value));
    } finally {
      await runner.release();
    }
  }
}
