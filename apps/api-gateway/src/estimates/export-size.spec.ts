import { EXPORT_COLUMNS, ExportFormat, ExportOutput, ExportType } from '@exports/contracts';
import { COLUMN_WIDTHS, estimatedSizeBytes, GZIP_RATIOS, partCount } from './export-size';

const output = (fields: Partial<ExportOutput>): ExportOutput => ({ format: ExportFormat.Csv, columns: null, maxRowsPerFile: 1_000_000, ...fields });

describe('export size', () => {
  it.each(Object.values(ExportType))('has a width for every column of %s, and only those', (type) => {
    expect(Object.keys(COLUMN_WIDTHS[type])).toEqual(EXPORT_COLUMNS[type]);
  });

  it.each<[number, number, number]>([
    [0, 1_000_000, 1],
    [1, 1_000_000, 1],
    [1_000_000, 1_000_000, 1],
    [1_000_001, 1_000_000, 2],
    [2_500_000, 1_000_000, 3],
    [5, 1, 5],
  ])('writes %d rows at %d a file as %d part(s)', (rows, maxRowsPerFile, parts) => {
    expect(partCount(rows, maxRowsPerFile)).toBe(parts);
  });

  it('counts a CSV row as its cells, a comma between two and LF, plus one header per part', () => {
    // phoneNumber 11.3 + firstName 8.4, a comma and LF: 21.7 bytes a row; header "phoneNumber,firstName\n": 22 bytes.
    const columns = ['phoneNumber', 'firstName'];
    expect(estimatedSizeBytes(ExportType.Contacts, output({ columns }), 10)).toBe(Math.round(10 * 21.7 + 22));
    expect(estimatedSizeBytes(ExportType.Contacts, output({ columns, maxRowsPerFile: 4 }), 10)).toBe(Math.round(10 * 21.7 + 3 * 22));
    // An empty CSV export is its header.
    expect(estimatedSizeBytes(ExportType.Contacts, output({ columns }), 0)).toBe(22);
  });

  it('counts a JSON Lines row as row_to_json writes it, without a header', () => {
    // {"phoneNumber":13.5,"firstName":10.3}\n: 14 + 13.5 + 1 + 12 + 10.3 + 3 bytes.
    expect(estimatedSizeBytes(ExportType.Contacts, output({ format: ExportFormat.Jsonl, columns: ['phoneNumber', 'firstName'] }), 10)).toBe(Math.round(10 * 53.8));
    expect(estimatedSizeBytes(ExportType.Contacts, output({ format: ExportFormat.Jsonl }), 0)).toBe(0);
  });

  it('takes every column in the documented order when none are named', () => {
    const all = EXPORT_COLUMNS[ExportType.MessageHistory] as string[];
    expect(estimatedSizeBytes(ExportType.MessageHistory, output({}), 1000)).toBe(estimatedSizeBytes(ExportType.MessageHistory, output({ columns: all }), 1000));
    // The measured average of a whole message-history row: 190.4 bytes.
    expect(estimatedSizeBytes(ExportType.MessageHistory, output({}), 1_000_000) / 1_000_000).toBeCloseTo(190.4, 0);
  });

  it.each<[ExportFormat, ExportFormat, 'csv' | 'jsonl']>([
    [ExportFormat.CsvGzip, ExportFormat.Csv, 'csv'],
    [ExportFormat.JsonlGzip, ExportFormat.Jsonl, 'jsonl'],
  ])('scales %s by the gzip ratio of the type', (gzip, plain, ratio) => {
    for (const type of Object.values(ExportType)) {
      const size = (format: ExportFormat) => estimatedSizeBytes(type, output({ format }), 2_000_000);
      expect(size(gzip)).toBe(Math.round(size(plain) * GZIP_RATIOS[type][ratio]));
    }
  });
});
