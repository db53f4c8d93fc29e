/** Runs one SQL statement with bind parameters: a TypeORM `DataSource.query` or `EntityManager.query`. */
export type Query = (sql: string, params: unknown[]) => Promise<unknown>;

/** The rows of any statement: TypeORM answers `[rows, count]` for UPDATE and DELETE. */
export async function rowsOf<T = Record<string, unknown>>(query: Query, sql: string, params: unknown[]): Promise<T[]> {
  const result: unknown = await query(sql, params);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
