import { ExportType } from './enums';
import type { RuleViolation } from './request-rules';

/** The file an export writes: CSV or JSON Lines, either one gzip-compressed. */
export enum ExportFormat {
  Csv = 'csv',
  CsvGzip = 'csv.gz',
  Jsonl = 'jsonl',
  JsonlGzip = 'jsonl.gz',
}

/** Rows of one file when the request does not say: a million, under Excel's limit with the header. */
export const DEFAULT_MAX_ROWS_PER_FILE = 1_000_000;
/** Excel opens 1,048,576 rows; the header takes one. */
export const MAX_ROWS_PER_FILE = 1_048_575;

/** The documented columns of each export type, in the order of the file. */
export const EXPORT_COLUMNS: Record<ExportType, readonly string[]> = {
  [ExportType.Contacts]: ['id', 'phoneNumber', 'email', 'firstName', 'lastName', 'gender', 'listIds', 'customFields', 'isTest', 'createdAt', 'updatedAt'],
  [ExportType.DeliveryReports]: [
    'messageId',
    'customerMessageId',
    'campaignId',
    'channel',
    'sender',
    'destination',
    'status',
    'statusDescription',
    'errorCode',
    'sendDate',
    'occurredAt',
  ],
  [ExportType.MessageHistory]: [
    'messageId',
    'customerMessageId',
    'campaignId',
    'channel',
    'direction',
    'sender',
    'destination',
    'body',
    'status',
    'statusDescription',
    'errorCode',
    'sendDate',
    'deliveryDate',
    'cost',
    'parts',
  ],
};

/** How an export's file is written, as the export keeps it (defaults applied). */
export interface ExportOutput {
  format: ExportFormat;
  /** The columns of the file in their order; null for every documented column. */
  columns: string[] | null;
  maxRowsPerFile: number;
}

/**
 * What a file of `format` is: its extension, its media type, and whether it is gzip-compressed.
 * A compressed file is stored as `application/gzip`, not as CSV with `Content-Encoding: gzip`:
 * clients that honour the encoding (browsers, fetch) would decompress it on download and keep
 * a plain file under the `.gz` name, whose size and SHA-256 no longer match the export's.
 */
export interface FormatTraits {
  extension: string;
  contentType: string;
  gzip: boolean;
  /** JSON Lines (one object per line, no header) rather than CSV (a header line, then rows). */
  jsonLines: boolean;
}

export const FORMAT_TRAITS: Record<ExportFormat, FormatTraits> = {
  [ExportFormat.Csv]: { extension: 'csv', contentType: 'text/csv; charset=utf-8', gzip: false, jsonLines: false },
  [ExportFormat.CsvGzip]: { extension: 'csv.gz', contentType: 'application/gzip', gzip: true, jsonLines: false },
  [ExportFormat.Jsonl]: { extension: 'jsonl', contentType: 'application/x-ndjson', gzip: false, jsonLines: true },
  [ExportFormat.JsonlGzip]: { extension: 'jsonl.gz', contentType: 'application/gzip', gzip: true, jsonLines: true },
};

/** The columns of a request of `type`, checked against the type's documented ones: unknown and repeated names are named. */
export function columnViolations(type: ExportType, columns: readonly string[] | undefined): RuleViolation[] {
  if (columns === undefined) return [];
  const known = new Set(EXPORT_COLUMNS[type]);
  const unknown = [...new Set(columns.filter((name) => !known.has(name)))];
  const repeated = [...new Set(columns.filter((name, index) => columns.indexOf(name) !== index))];
  const violations: RuleViolation[] = [];
  const quoted = (names: string[]) => names.map((name) => JSON.stringify(name)).join(', ');
  if (unknown.length) {
    violations.push({ field: 'columns', message: `columns has unknown column(s) ${quoted(unknown)}; the columns of ${type} are ${EXPORT_COLUMNS[type].join(', ')}` });
  }
  if (repeated.length) violations.push({ field: 'columns', message: `columns names ${quoted(repeated)} more than once` });
  return violations;
}

/** The output an export request asks for, defaults applied. */
export function exportOutputOf(request: { format?: ExportFormat; columns?: string[]; maxRowsPerFile?: number }): ExportOutput {
  return {
    format: request.format ?? ExportFormat.Csv,
    columns: request.columns ?? null,
    maxRowsPerFile: request.maxRowsPerFile ?? DEFAULT_MAX_ROWS_PER_FILE,
  };
}
