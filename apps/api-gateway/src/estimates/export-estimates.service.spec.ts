import { CreateContactsExportDto, CreateMessageHistoryExportDto, ExportFormat, ExportType } from '@exports/contracts';
import { ExportSource, SourceRecord } from '@exports/export-files';
import { AppConfig, DomainError, ErrorCode } from '@exports/platform';
import { ExportEstimatesService, RowSource } from './export-estimates.service';

const ACCOUNT = '0b7e2b9e-8e2c-4c39-9a0e-3b9f4b1c2d3e';

/** The database as the estimate sees it: a planner estimate, and a count that ends in time or not. */
class FakeRows implements RowSource {
  readonly counts: number[] = [];
  readonly records: SourceRecord[] = [];

  constructor(
    private readonly plannedRows: number,
    private readonly countedRows: number | undefined,
  ) {}

  async planned(_source: ExportSource, record: SourceRecord): Promise<number> {
    this.records.push(record);
    return this.plannedRows;
  }

  async counted(_source: ExportSource, _record: SourceRecord, timeoutMs: number): Promise<number | undefined> {
    this.counts.push(timeoutMs);
    return this.countedRows;
  }
}

const contacts = (fields: Partial<CreateContactsExportDto>) => Object.assign(new CreateContactsExportDto(), fields);

function service(rows: FakeRows): ExportEstimatesService {
  const config = Object.assign(new AppConfig(), { EXPORT_ESTIMATE_EXACT_MAX_ROWS: 1000, EXPORT_ESTIMATE_TIMEOUT_MS: 250, EXPORT_MAX_RANGE_DAYS: 31 });
  return new ExportEstimatesService(rows, config);
}

describe('ExportEstimatesService', () => {
  it('counts the rows when the planner expects few, within the timeout', async () => {
    const rows = new FakeRows(900, 1234);
    const estimate = await service(rows).estimate(ACCOUNT, ExportType.Contacts, contacts({ listIds: ['vip'], maxRowsPerFile: 1000 }));
    expect(estimate).toMatchObject({ rowCount: 1234, exact: true, parts: 2, format: ExportFormat.Csv });
    expect(rows.counts).toEqual([250]);
  });

  it('answers the planner estimate without counting above EXPORT_ESTIMATE_EXACT_MAX_ROWS', async () => {
    const rows = new FakeRows(1001, 1234);
    expect(await service(rows).estimate(ACCOUNT, ExportType.Contacts, contacts({ format: ExportFormat.JsonlGzip }))).toMatchObject({
      rowCount: 1001,
      exact: false,
      parts: 1,
      format: ExportFormat.JsonlGzip,
    });
    expect(rows.counts).toEqual([]);
  });

  it('answers the planner estimate when the count outlasts the timeout', async () => {
    expect(await service(new FakeRows(1000, undefined)).estimate(ACCOUNT, ExportType.Contacts, contacts({}))).toMatchObject({ rowCount: 1000, exact: false });
  });

  it('reads the request as registering it would: the account, plain dates resolved, no file options among the filters', async () => {
    const rows = new FakeRows(10, 10);
    const request = Object.assign(new CreateMessageHistoryExportDto(), { startDateTime: '2026-04-01', endDateTime: '2026-04-30', timezone: 'Europe/Paris', columns: ['body'], maxRowsPerFile: 5 });
    await service(rows).estimate(ACCOUNT, ExportType.MessageHistory, request);
    expect(rows.records).toEqual([
      { accountId: ACCOUNT, filters: { startDateTime: '2026-04-01T00:00:00.000+02:00', endDateTime: '2026-04-30T23:59:59.999999+02:00' }, columns: ['body'] },
    ]);
  });

  it('refuses what registering refuses, naming the field, before any query', async () => {
    const rows = new FakeRows(10, 10);
    const refused = await service(rows)
      .estimate(ACCOUNT, ExportType.Contacts, contacts({ columns: ['id', 'nope', 'id'] }))
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: ErrorCode.Validation });
    expect((refused as DomainError).details?.map((detail) => detail.field)).toEqual(['columns', 'columns']);
    expect(rows.records).toEqual([]);
  });
});
