import { ExportType } from '@exports/contracts';
import { header } from './csv-sql';

/** What a source reads of an export: whose rows, which ones (its filters) and which columns. */
export interface SourceRecord {
  accountId: string;
  filters: Record<string, unknown>;
  /** The requested columns in their order; null for all of them. */
  columns: readonly string[] | null;
}

/** Quotes a value as an SQL literal (COPY takes no bind parameters). */
export type Literal = (value: string) => string;

/**
 * One documented column of an export type: its CSV cell (spreadsheet-safe text) and its JSON
 * value (typed: numbers, booleans, arrays, objects, null), each an SQL expression over the rows.
 */
export interface ExportColumn {
  name: string;
  csv: string;
  json: string;
}

/** The rows of one export, in the order of its file: FROM, the conditions (the account first) and ORDER BY. */
export interface SourceRows {
  from: string;
  where: string[];
  orderBy: string;
}

/**
 * What one export type contributes: its documented columns (in {@link EXPORT_COLUMNS}' order)
 * and its rows, from the export's filters (`Filters`: its type in `@exports/contracts`, validated
 * when the export was registered). Every query must filter on `exportRecord.accountId`.
 */
export interface ExportSource<Filters extends object = object> {
  readonly type: ExportType;
  /**
   * An index gives the ORDER BY as it is (same columns, same order, the account first): the
   * export then reads in index order rather than sorting. Only where that holds: for any other
   * query, a penalised sort makes the planner trade hash joins for row-by-row ones.
   */
  readonly indexOrdered?: boolean;
  readonly columns: readonly ExportColumn[];
  rows(exportRecord: SourceRecord, filters: Filters, literal: Literal): SourceRows;
}

/** `ARRAY['a','b']::text[]` from values, each quoted. */
export function textArray(values: readonly string[], literal: Literal): string {
  return `ARRAY[${values.map(literal).join(',')}]::text[]`;
}

/** The columns an export asked for, in its order (all of the source's when `names` is null). */
export function selectedColumns(source: Pick<ExportSource, 'columns' | 'type'>, names: readonly string[] | null): ExportColumn[] {
  if (!names) return [...source.columns];
  const byName = new Map(source.columns.map((column) => [column.name, column]));
  return names.map((name) => {
    const column = byName.get(name);
    if (!column) throw new Error(`${source.type} has no column ${name}`);
    return column;
  });
}

/**
 * The SELECT whose rows, in order, are the export's file: one column per CSV cell (the names
 * are the header), or for JSON Lines a single column holding each row's JSON object, its keys
 * in column order. `row_to_json` of the ordered rows writes compact JSON (`{"a":1,"b":"x"}`);
 * `json_build_object` would write `"a" : 1, "b" : "x"`, three bytes more a column. A subquery
 * scan keeps the order of the rows it reads.
 */
export function exportSelect(source: ExportSource, exportRecord: SourceRecord, literal: Literal, jsonLines: boolean): string {
  const columns = selectedColumns(source, exportRecord.columns);
  const cells = columns.map((column) => `${jsonLines ? column.json : column.csv} AS ${header(column.name)}`).join(',\n  ');
  const { from, where, orderBy } = source.rows(exportRecord, exportRecord.filters, literal);
  const rows = `SELECT ${cells} FROM ${from} WHERE ${where.join(' AND ')} ORDER BY ${orderBy}`;
  return jsonLines ? `SELECT row_to_json(r)::text AS line FROM (${rows}) AS r` : rows;
}

/** `SELECT <list>` over the export's rows, without their order or their cells: to count them, or to plan that. */
export function exportRowsSelect(source: ExportSource, exportRecord: SourceRecord, literal: Literal, list: string): string {
  const { from, where } = source.rows(exportRecord, exportRecord.filters, literal);
  return `SELECT ${list} FROM ${from} WHERE ${where.join(' AND ')}`;
}

/**
 * The COPY statement of an export. CSV: PostgreSQL quotes the cells (RFC 4180) and writes the
 * header. JSON Lines: each row is one JSON text; CSV mode with a delimiter and a quote character
 * that JSON never holds unescaped (control characters 0x02 and 0x01) writes it as it is, one per
 * line, never quoted, where text mode would escape its backslashes.
 */
export function exportCopy(select: string, jsonLines: boolean): string {
  return jsonLines
    ? `COPY (${select}) TO STDOUT WITH (FORMAT csv, HEADER false, DELIMITER E'\\x02', QUOTE E'\\x01')`
    : `COPY (${select}) TO STDOUT WITH (FORMAT csv, HEADER true)`;
}
