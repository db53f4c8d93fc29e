import { parse } from 'csv-parse/sync';
import { CreatedAccount } from '@exports/database';
import { csvCellOf, downloadExport, jsonLineObjects, TestStack } from '@exports/testing';
import { accountAHistory, count, exportRows, HISTORY_HEADER, publishMessage, publishReport, waitFor } from './history-fixtures';

const PATH = '/messages/history/export';
const RANGE = { startDateTime: '2026-01-01T00:00:00Z', endDateTime: '2026-04-01T00:00:00Z', timezone: 'Europe/Paris' };

/** One file of a COMPLETED export as downloaded through its link: its bytes decompressed, and what the link answered. */
interface Downloaded {
  text: string;
  contentType: string | null;
  resource: any;
}

/**
 * The other formats of the same export, decoded and compared row by row with its CSV: the
 * fixtures' messages hold formulas, quotes, commas, line breaks, E.164 numbers, empty values,
 * decimals and two time zones' offsets.
 */
describe('message history export: formats and columns (e2e)', () => {
  const stack = new TestStack({ apps: ['api-gateway', 'history-service'] });
  let a: CreatedAccount;
  let csvHeader: string[];
  let csvRows: string[][];
  const { messages, reports } = accountAHistory();

  beforeAll(async () => {
    await stack.start();
    a = await stack.createAccount('A');
    for (const m of messages) await publishMessage(stack, a.accountId, m);
    for (const r of reports) await publishReport(stack, a.accountId, r);
    await waitFor(async () => (await count(stack, 'messages')) === messages.length && (await count(stack, 'delivery_reports')) === reports.length);
    ({ header: csvHeader, rows: csvRows } = await exportRows(stack, a.apiKey, PATH, RANGE));
    expect(csvRows).toHaveLength(messages.length);
  }, 120_000);

  afterAll(() => stack.stop(), 60_000);

  /** Requests the export, waits for COMPLETED, and downloads its single file (checked against its size and SHA-256). */
  async function exported(body: object): Promise<Downloaded> {
    const created = await stack.http('POST', PATH, { apiKey: a.apiKey, body: { ...RANGE, ...body } });
    expect(created.status).toBe(202);
    const done = await stack.waitForExport(a.apiKey, created.body.exportId);
    expect(done.status).toBe('COMPLETED');
    const { files } = await downloadExport(stack, a.apiKey, done.exportId);
    expect(files).toHaveLength(1);
    return { ...files[0], resource: done };
  }

  it('csv.gz: the gzip of the same CSV, named and typed as a gzip file', async () => {
    const { text, contentType, resource } = await exported({ format: 'csv.gz' });
    expect(contentType).toBe('application/gzip');
    expect(resource.fileName).toMatch(/^message-history-\d{8}T\d{6}Z-[0-9a-f]{8}\.csv\.gz$/);
    const [header, ...rows]: string[][] = parse(text);
    expect(header).toEqual(csvHeader);
    expect(rows).toEqual(csvRows);
  });

  it.each(['jsonl', 'jsonl.gz'])('%s: one object per row, keys in column order, typed values that are the CSV cells', async (format) => {
    const { text, contentType, resource } = await exported({ format });
    expect(contentType).toBe(format === 'jsonl' ? 'application/x-ndjson' : 'application/gzip');
    expect(resource.fileName.endsWith(`.${format}`)).toBe(true);
    const objects = jsonLineObjects(text);
    expect(objects).toHaveLength(csvRows.length);
    objects.forEach((object, index) => {
      expect(Object.keys(object)).toEqual(HISTORY_HEADER);
      expect(HISTORY_HEADER.map((name) => csvCellOf(object[name]))).toEqual(csvRows[index]);
    });
    // Typed: numbers are numbers, absent values null, text as stored (no spreadsheet prefix).
    const costs = objects.map((object) => object.cost);
    expect(costs).toEqual(expect.arrayContaining([0.045, 1.5, 0.000001, null]));
    expect(objects.every((object) => typeof object.parts === 'number')).toBe(true);
    expect(objects.map((object) => object.body)).toEqual(expect.arrayContaining(['=HYPERLINK("http://evil.example")', 'Hello, "friend"\nsee you at 10, OK?', 'two\r\nlines with CRLF']));
    expect(objects.some((object) => object.customerMessageId === null)).toBe(true);
  });

  it('columns: the requested ones in the requested order, in CSV and in JSON Lines', async () => {
    const columns = ['destination', 'messageId', 'cost', 'sendDate'];
    const pick = (row: string[]) => columns.map((name) => row[csvHeader.indexOf(name)]);
    const csv = await exported({ columns });
    expect(csv.resource.columns).toEqual(columns);
    const [header, ...rows]: string[][] = parse(csv.text);
    expect(header).toEqual(columns);
    expect(rows).toEqual(csvRows.map(pick));
    const jsonl = jsonLineObjects((await exported({ columns, format: 'jsonl' })).text);
    expect(jsonl.map((object) => Object.keys(object))).toEqual(csvRows.map(() => columns));
    expect(jsonl.map((object) => columns.map((name) => csvCellOf(object[name])))).toEqual(csvRows.map(pick));
  });

  it('keeps the file options on the export, apart from its filters', async () => {
    const created = await stack.http('POST', PATH, { apiKey: a.apiKey, body: { ...RANGE, format: 'jsonl.gz', columns: ['body'], maxRowsPerFile: 10 } });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ format: 'jsonl.gz', columns: ['body'], maxRowsPerFile: 10 });
    expect(Object.keys(created.body.filters).sort()).toEqual(['endDateTime', 'startDateTime']);
    const done = await stack.waitForExport(a.apiKey, created.body.exportId);
    const sizes = Array.from({ length: Math.ceil(csvRows.length / 10) }, (_, part) => Math.min(10, csvRows.length - part * 10));
    expect(sizes.length).toBeGreaterThan(2);
    expect(done.files.map((file: { rowCount: number }) => file.rowCount)).toEqual(sizes);
    expect(done.fileName).toBeUndefined();
    expect(done.sha256).toBeUndefined();
    expect(done.rowCount).toBe(csvRows.length);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown format', { format: 'xlsx' }, 'format must be one of the following values: csv, csv.gz, jsonl, jsonl.gz'],
    ['an unknown column', { columns: ['messageId', 'password', 'secret'] }, 'columns has unknown column(s) "password", "secret"'],
    ['a repeated column', { columns: ['body', 'messageId', 'body'] }, 'columns names "body" more than once'],
    ['no column', { columns: [] }, 'columns should not be empty'],
    ['a column that is not a name', { columns: ['body; DROP TABLE messages'] }, 'each value in columns must be a column name'],
    ['columns as a string', { columns: 'body' }, 'columns must be an array'],
    ['maxRowsPerFile 0', { maxRowsPerFile: 0 }, 'maxRowsPerFile must not be less than 1'],
    ['maxRowsPerFile over the spreadsheet limit', { maxRowsPerFile: 1_048_576 }, 'maxRowsPerFile must not be greater than 1048575'],
    ['maxRowsPerFile not an integer', { maxRowsPerFile: 2.5 }, 'maxRowsPerFile must be an integer number'],
    ['maxRowsPerFile as text', { maxRowsPerFile: '1000' }, 'maxRowsPerFile must be an integer number'],
  ])('refuses %s with a 400 naming the field', async (_what, options, message) => {
    const answer = await stack.http('POST', PATH, { apiKey: a.apiKey, body: { ...RANGE, ...options } });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('VALIDATION_FAILED');
    const details: Array<{ field: string; message: string }> = answer.body.details;
    expect(details.map((detail) => detail.field)).toContain(Object.keys(options)[0]);
    expect(details.map((detail) => detail.message).join('\n')).toContain(message);
  });

  it('refuses a huge maxRowsPerFile written as a number literal (1e400)', async () => {
    const answer = await stack.http('POST', PATH, { apiKey: a.apiKey, rawBody: `{"startDateTime":"2026-01-01","endDateTime":"2026-02-01","maxRowsPerFile":1e400}` });
    expect(answer.status).toBe(400);
    expect(new Set(answer.body.details.map((detail: { field: string }) => detail.field))).toEqual(new Set(['maxRowsPerFile']));
  });

  it('checks columns against the type: a contacts column is unknown to message history', async () => {
    const answer = await stack.http('POST', PATH, { apiKey: a.apiKey, body: { ...RANGE, columns: ['phoneNumber'] } });
    expect(answer.status).toBe(400);
    expect(answer.body.details).toEqual([expect.objectContaining({ field: 'columns', message: expect.stringContaining('"phoneNumber"') })]);
  });
});
