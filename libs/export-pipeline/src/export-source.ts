import { ExportType } from '@exports/contracts';
import { ExportEntity } from '@exports/database';

/** Quotes a value as an SQL literal (COPY takes no bind parameters). */
export type Literal = (value: string) => string;

/**
 * What one export type contributes: the SELECT whose rows, in order, are the file, from the
 * export's filters (`Filters`: its type in `@exports/contracts`, validated when the export was
 * registered). Every query must filter on `exportRecord.accountId`; column names are the CSV header.
 * (`query` is a method: a source of any filters is an `ExportSource`, which the runner holds.)
 */
export interface ExportSource<Filters extends object = object> {
  readonly type: ExportType;
  /**
   * An index gives the query's ORDER BY as it is (same columns, same order, the account first):
   * the export then reads in index order rather than sorting ({@link exportPlanSettings}). Only
   * where that holds: for any other query, a penalised sort makes the planner trade hash joins
   * for row-by-row ones.
   */
  readonly indexOrdered?: boolean;
  query(exportRecord: ExportEntity, filters: Filters, literal: Literal): string;
}

/** `ARRAY['a','b']::text[]` from values, each quoted. */
export function textArray(values: readonly string[], literal: Literal): string {
  return `ARRAY[${values.map(literal).join(',')}]::text[]`;
}
