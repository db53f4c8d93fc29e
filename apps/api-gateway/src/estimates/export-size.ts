import { ExportOutput, EXPORT_COLUMNS, ExportType, FORMAT_TRAITS } from '@exports/contracts';

/** Average bytes of one column in a file: its CSV cell as COPY writes it (quotes and `'` prefix included), its JSON value. */
export interface ColumnWidth {
  csv: number;
  json: number;
}

/**
 * Measured on 200,000 rows of each type made by the generators of `npm run seed`
 * (tools/seed/demo-data.ts: names from seven locales, custom fields on 70% of contacts, fourteen
 * message templates, 1.16 delivery reports per message), exported by the sources' own SELECTs
 * in Europe/Paris: the bytes of a one-column COPY per row, less the line end (JSON: less the key
 * and the braces). A whole row of every column comes within 0.1 byte of the sum. The
 * 1,000,000 messages of the bench database (four short bodies) average 163 bytes a CSV row
 * against 190 here: their bodies are shorter.
 */
export const COLUMN_WIDTHS: Record<ExportType, Record<string, ColumnWidth>> = {
  [ExportType.Contacts]: {
    id: { csv: 8, json: 10 },
    phoneNumber: { csv: 11.3, json: 13.5 },
    email: { csv: 12.6, json: 15.3 },
    firstName: { csv: 8.4, json: 10.3 },
    lastName: { csv: 8.1, json: 10 },
    gender: { csv: 2.5, json: 5.5 },
    listIds: { csv: 10.8, json: 15.4 },
    customFields: { csv: 57.6, json: 48.2 },
    isTest: { csv: 0.2, json: 4 },
    createdAt: { csv: 29, json: 31 },
    updatedAt: { csv: 29, json: 31 },
  },
  [ExportType.DeliveryReports]: {
    messageId: { csv: 13, json: 15 },
    customerMessageId: { csv: 7.5, json: 10.5 },
    campaignId: { csv: 4.5, json: 7.7 },
    channel: { csv: 4.3, json: 6.3 },
    sender: { csv: 7.5, json: 9.5 },
    destination: { csv: 12.5, json: 14.5 },
    status: { csv: 7.5, json: 9.5 },
    statusDescription: { csv: 2.4, json: 6.1 },
    errorCode: { csv: 0.2, json: 4.1 },
    sendDate: { csv: 29, json: 31 },
    occurredAt: { csv: 29, json: 31 },
  },
  [ExportType.MessageHistory]: {
    messageId: { csv: 13, json: 15 },
    customerMessageId: { csv: 6.9, json: 10 },
    campaignId: { csv: 4.2, json: 7.4 },
    channel: { csv: 4.2, json: 6.2 },
    direction: { csv: 7.9, json: 9.9 },
    sender: { csv: 7.9, json: 9.9 },
    destination: { csv: 12.1, json: 14.1 },
    body: { csv: 50.6, json: 51.8 },
    status: { csv: 8.4, json: 10.4 },
    statusDescription: { csv: 2.8, json: 6.5 },
    errorCode: { csv: 0.3, json: 4.1 },
    sendDate: { csv: 29, json: 31 },
    deliveryDate: { csv: 22.7, json: 25.1 },
    cost: { csv: 4.4, json: 4.8 },
    parts: { csv: 1, json: 1 },
  },
};

/**
 * Compressed size to plain size at gzip level 1 (EXPORT_GZIP_LEVEL's default), measured on the
 * same rows with every column. Higher levels make smaller files; fewer columns compress less
 * (the first three columns of a CSV: 0.26-0.31). The JSON Lines ratios were measured on lines
 * spaced as json_build_object writes them, then scaled by 1.066: on 200,000 messages of the bench
 * database the compact lines of row_to_json are 10.5% smaller, their gzip only 4.6% smaller.
 */
export const GZIP_RATIOS: Record<ExportType, { csv: number; jsonl: number }> = {
  [ExportType.Contacts]: { csv: 0.219, jsonl: 0.15 },
  [ExportType.DeliveryReports]: { csv: 0.218, jsonl: 0.115 },
  [ExportType.MessageHistory]: { csv: 0.196, jsonl: 0.122 },
};

/** Files an export of `rowCount` rows is written as: one per `maxRowsPerFile` rows, and one when empty. */
export function partCount(rowCount: number, maxRowsPerFile: number): number {
  return Math.max(1, Math.ceil(rowCount / maxRowsPerFile));
}

/** Bytes of an export of `rowCount` rows of `type`, as stored: rows of the selected columns, each CSV part's header, gzip. */
export function estimatedSizeBytes(type: ExportType, output: ExportOutput, rowCount: number): number {
  const names = output.columns ?? EXPORT_COLUMNS[type];
  const widths = names.map((name) => ({ name, ...COLUMN_WIDTHS[type][name] }));
  const traits = FORMAT_TRAITS[output.format];
  const plain = traits.jsonLines
    ? rowCount * jsonLineBytes(widths)
    : rowCount * csvLineBytes(widths) + partCount(rowCount, output.maxRowsPerFile) * csvHeaderBytes(names);
  const ratio = traits.gzip ? GZIP_RATIOS[type][traits.jsonLines ? 'jsonl' : 'csv'] : 1;
  return Math.round(plain * ratio);
}

/** The cells, a comma between two, LF at the end. */
function csvLineBytes(widths: ColumnWidth[]): number {
  return widths.reduce((sum, width) => sum + width.csv, 0) + widths.length;
}

function csvHeaderBytes(names: readonly string[]): number {
  return names.reduce((sum, name) => sum + name.length, 0) + names.length;
}

/** `"name":value` per column, `,` between two, braces and LF around: a row as PostgreSQL's row_to_json writes it. */
function jsonLineBytes(widths: Array<ColumnWidth & { name: string }>): number {
  const pairs = widths.reduce((sum, width) => sum + `"${width.name}":`.length + width.json, 0);
  return pairs + (widths.length - 1) + 3;
}
