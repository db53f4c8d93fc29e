import { randomUUID } from 'node:crypto';
import { ExportRunCancelledEvent, ExportStatus } from '@exports/contracts';
import { ExportEntity } from '@exports/database';
import { ErrorCode } from '@exports/platform';
import { CancelRegistry, EventPublisher, ExportCancelService, RunCanceller } from './export-cancel.service';
import { exportEntity, refusal } from '../../test/export-entities';

const ACCOUNT = '0b7e2b9e-8e2c-4c39-9a0e-3b9f4b1c2d3e';
const OTHER = '5f0e7c2b-9d1e-4c1a-8a52-3f7f2f4f9b10';

/** The registry in memory with the cancel's rule: PENDING only, conditional, scoped to the account. */
class MemoryRegistry implements CancelRegistry {
  readonly records = new Map<string, ExportEntity>();
  /** Moves the export on just before the conditional write, as a worker completing it would. */
  finishFirst?: ExportStatus;

  async findOne(accountId: string, id: string): Promise<ExportEntity | null> {
    const record = this.records.get(id);
    return record && record.accountId === accountId ? record : null;
  }

  async cancel(accountId: string, id: string): Promise<{ run: number } | null> {
    const record = await this.findOne(accountId, id);
    if (record && this.finishFirst) record.status = this.finishFirst;
    if (!record || record.status !== ExportStatus.Pending) return null;
    Object.assign(record, { status: ExportStatus.Cancelled, cancelledAt: new Date() });
    return { run: record.run };
  }
}

class Recorder implements EventPublisher, RunCanceller {
  kicks = 0;
  readonly announced: ExportRunCancelledEvent[] = [];
  kick(): void {
    this.kicks++;
  }
  announce(event: ExportRunCancelledEvent): void {
    this.announced.push(event);
  }
}

const exportRecord = (status: ExportStatus, fields: Partial<ExportEntity> = {}) =>
  exportEntity(ACCOUNT, { status, maxRowsPerFile: 1000, run: 3, attempts: 1, rowsExported: 42, ...fields });

describe('ExportCancelService', () => {
  let registry: MemoryRegistry;
  let recorder: Recorder;
  let service: ExportCancelService;

  beforeEach(() => {
    registry = new MemoryRegistry();
    recorder = new Recorder();
    service = new ExportCancelService(registry, recorder, recorder);
  });

  const add = (record: ExportEntity) => {
    registry.records.set(record.id, record);
    return record;
  };

  it('cancels a PENDING export, tells the workers to stop its run, and kicks the relay for its event', async () => {
    const record = add(exportRecord(ExportStatus.Pending));
    const resource = await service.cancel(ACCOUNT, record.id);
    expect(resource).toMatchObject({ exportId: record.id, status: ExportStatus.Cancelled, isAvailableForDownload: false, progress: { rowsExported: 42 } });
    expect(resource.cancelledAt).toEqual(expect.any(String));
    expect(recorder.announced).toEqual([{ exportId: record.id, accountId: ACCOUNT, run: 3 }]);
    expect(recorder.kicks).toBe(1);
  });

  it.each([ExportStatus.Completed, ExportStatus.Failed, ExportStatus.Cancelled])('refuses a %s export with EXPORT_NOT_CANCELLABLE, naming its status', async (status) => {
    const record = add(exportRecord(status, { linkExpiresAt: new Date(Date.now() + 60_000) }));
    const error = await refusal(service.cancel(ACCOUNT, record.id));
    expect(error.code).toBe(ErrorCode.ExportNotCancellable);
    expect(error.extra).toEqual({ exportStatus: status });
    expect(error.message).toBe(`The export is ${status}: only a PENDING export can be cancelled`);
    expect(recorder).toMatchObject({ kicks: 0, announced: [] });
  });

  it('refuses a COMPLETED export whose link has passed as EXPIRED', async () => {
    const record = add(exportRecord(ExportStatus.Completed, { linkExpiresAt: new Date(Date.now() - 1000) }));
    expect((await refusal(service.cancel(ACCOUNT, record.id))).extra).toEqual({ exportStatus: ExportStatus.Expired });
  });

  it('refuses with the state reached when the export finished between the read and the write', async () => {
    const record = add(exportRecord(ExportStatus.Pending));
    registry.finishFirst = ExportStatus.Completed;
    const error = await refusal(service.cancel(ACCOUNT, record.id));
    expect(error).toMatchObject({ code: ErrorCode.ExportNotCancellable, extra: { exportStatus: ExportStatus.Completed } });
    expect(recorder.announced).toEqual([]);
  });

  it("answers 404 for an unknown export and for another account's", async () => {
    const foreign = add(exportRecord(ExportStatus.Pending, { accountId: OTHER }));
    expect((await refusal(service.cancel(ACCOUNT, foreign.id))).code).toBe(ErrorCode.NotFound);
    expect((await refusal(service.cancel(ACCOUNT, randomUUID()))).code).toBe(ErrorCode.NotFound);
    expect(foreign.status).toBe(ExportStatus.Pending);
  });
});
