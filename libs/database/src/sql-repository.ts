import { DataSource } from 'typeorm';
import { Query, rowsOf } from '@exports/platform';

/** A repository of plain SQL over the app's pool: `rows` runs one statement and returns its rows. */
export abstract class SqlRepository {
  protected readonly query: Query;

  constructor(protected readonly dataSource: DataSource) {
    this.query = (sql, params) => dataSource.query(sql, params);
  }

  protected rows<T = Record<string, unknown>>(sql: string, params: unknown[]): Promise<T[]> {
    return rowsOf<T>(this.query, sql, params);
  }
}
