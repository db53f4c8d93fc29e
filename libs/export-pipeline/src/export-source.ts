import { ExportType } from '@exports/contracts';
import { ExportEntity } from '@exports/database';

/** Quotes a value as an SQL literal (COPY takes no bind parameters). */
export type Literal = (value: string) => string;

/**
 * What one export type contributes: the SELECT whose rows, in order, are the file.
 * Every query must filter on `export.accountId`; column names are the CSV header.
 */
export interface ExportSource {
  readonly type: ExportType;
  query(exportRecord: ExportEntity, literal: Literal): string;
}

/** `ARRAY['a','b']::text[]` from values, each quoted. */
export function textArray(values: readonly string[], literal: Literal): string {
  return `ARRAY[${values.map(literal).join(',')}]::text[]`;
}
