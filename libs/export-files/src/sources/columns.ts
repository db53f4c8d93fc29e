import { isoTimestamp, safeText } from '../csv-sql';
import { ExportColumn } from '../export-source';

/** A text column: spreadsheet-safe in CSV, the text itself in JSON. */
export const text = (name: string, expression: string): ExportColumn => ({ name, csv: safeText(expression), json: expression });

/** A value from a closed list (channel, direction, status): no cell of it can start a formula. */
export const plain = (name: string, expression: string): ExportColumn => ({ name, csv: expression, json: expression });

/** A timestamp, in ISO-8601 with the export's offset in both forms. */
export const timestamp = (name: string, expression: string): ExportColumn => ({ name, csv: isoTimestamp(expression), json: isoTimestamp(expression) });
