import { ExportType } from '@exports/contracts';
import { header, spreadsheetSafe } from './csv-sql';
import { exportFileName, exportPartKey } from './file-naming';

describe('spreadsheetSafe', () => {
  it.each([
    ['=HYPERLINK("http://x")', `'=HYPERLINK("http://x")`],
    ['+1+2', `'+1+2`],
    ['-2+3', `'-2+3`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['\tTAB', `'\tTAB`],
    ['\rCR', `'\rCR`],
  ])('prefixes %j', (value, expected) => {
    expect(spreadsheetSafe(value)).toBe(expected);
  });

  it.each(['+33612345678', 'plain', 'a=b', '', ' =not first'])('keeps %j', (value) => {
    expect(spreadsheetSafe(value)).toBe(value);
  });
});

describe('file naming', () => {
  it('names the file after the type, creation time and a short id', () => {
    const name = exportFileName(ExportType.DeliveryReports, new Date('2026-03-04T05:06:07.890Z'), '1a2b3c4d-0000-4000-8000-000000000000');
    expect(name).toBe('delivery-reports-20260304T050607Z-1a2b3c4d.csv');
  });

  it("names each part of a split export, with the format's extension, and keys each part under its run", () => {
    const created = new Date('2026-03-04T05:06:07.890Z');
    const id = '1a2b3c4d-0000-4000-8000-000000000000';
    expect(exportFileName(ExportType.MessageHistory, created, id, 'jsonl.gz')).toBe('message-history-20260304T050607Z-1a2b3c4d.jsonl.gz');
    expect(exportFileName(ExportType.MessageHistory, created, id, 'csv', { part: 2, of: 3 })).toBe('message-history-20260304T050607Z-1a2b3c4d-part-2-of-3.csv');
    expect(exportPartKey('acc', 'exp', 3, 2, 'csv.gz')).toBe('acc/exp/3/part-2.csv.gz');
  });

  it('refuses header names that would need escaping', () => {
    expect(header('phoneNumber')).toBe('"phoneNumber"');
    expect(() => header('x"; DROP')).toThrow();
  });
});
