import { randomUUID } from 'node:crypto';
import { CreateContactsExportDto, CreateMessageHistoryExportDto, ExportErrorCode, ExportStatus, ExportType, ListExportsQueryDto } from '@exports/contracts';
import { ExportEntity, ExportListQuery, NewExport, RerunEvent, RerunResult } from '@exports/database';
import { ExportEvent } from '@exports/export-status';
import { AppConfig, ErrorCode } from '@exports/platform';
import { ExportRegistry, ExportsService, LinkSigner, RunPublisher } from './exports.service';
import { exportEntity, refusal } from '../../test/export-entities';

const ACCOUNT = '0b7e2b9e-8e2c-4c39-9a0e-3b9f4b1c2d3e';
const HOUR = 3_600_000;

/** The registry in memory, with the rules the service relies on: the open cap, one export per key, account scoping. */
class MemoryRegistry implements ExportRegistry {
  readonly records = new Map<string, ExportEntity>();

  async create(accountId: string, request: NewExport, maxOpen: number): Promise<{ record?: ExportEntity; open: number }> {
    const mine = [...this.records.values()].filter((record) => record.accountId === accountId);
    const open = Math.min(mine.filter((record) => record.status === ExportStatus.Pending).length, maxOpen);
    if (request.idempotencyKey && mine.some((record) => record.idempotencyKey === request.idempotencyKey)) return { open };
    if (open >= maxOpen) return { open };
    const record = exportRecord({ accountId, type: request.type, filters: request.filters, timezone: request.timezone, idempotencyKey: request.idempotencyKey ?? null, requestHash: request.requestHash ?? null });
    this.records.set(record.id, record);
    return { record, open: open + 1 };
  }

  async findByIdempotencyKey(accountId: string, key: string): Promise<ExportEntity | null> {
    return [...this.records.values()].find((record) => record.accountId === accountId && record.idempotencyKey === key) ?? null;
  }

  async list(accountId: string, query: ExportListQuery): Promise<{ items: ExportEntity[]; totalItems: number }> {
    const mine = [...this.records.values()].filter((record) => record.accountId === accountId);
    return { items: mine.slice(query.page * query.limit, (query.page + 1) * query.limit), totalItems: mine.length };
  }

  async findOne(accountId: string, id: string): Promise<ExportEntity | null> {
    const record = this.records.get(id);
    return record && record.accountId === accountId ? record : null;
  }

  async renewLink(accountId: string, id: string, linkTtlSeconds: number): Promise<boolean> {
    const record = await this.findOne(accountId, id);
    if (!record?.fileExpiresAt) return false;
    Object.assign(record, { status: ExportStatus.Completed, linkExpiresAt: new Date(Math.min(Date.now() + linkTtlSeconds * 1000, record.fileExpiresAt.getTime())) });
    return true;
  }

  readonly reruns: ExportEvent[] = [];
  async rerun(accountId: string, id: string, event: RerunEvent, maxOpen: number): Promise<RerunResult> {
    this.reruns.push(event);
    const open = [...this.records.values()].filter((record) => record.accountId === accountId && record.status === ExportStatus.Pending).length;
    if (open >= maxOpen) return { kind: 'capped', open };
    const record = await this.findOne(accountId, id);
    if (!record) return { kind: 'unchanged' };
    Object.assign(record, { status: ExportStatus.Pending, run: record.run + 1, completedAt: null, cancelledAt: null, linkExpiresAt: null, fileExpiresAt: null, errorCode: null, errorMessage: null });
    return { kind: 'rerun', run: record.run };
  }
}

class CountingRelay implements RunPublisher {
  kicks = 0;
  kick(): void {
    this.kicks++;
  }
}

class FakeSigner implements LinkSigner {
  signed: Array<{ key: string; seconds: number; fileName?: string }> = [];
  async presignGet(key: string, seconds: number, fileName?: string): Promise<string> {
    this.signed.push({ key, seconds, fileName });
    return `https://files.example/${key}?expires=${seconds}`;
  }
}

const exportRecord = (fields: Partial<ExportEntity>) => exportEntity(ACCOUNT, fields);

function completed(linkExpiresInMs: number, fileExpiresInMs: number): ExportEntity {
  const now = Date.now();
  return exportRecord({
    status: ExportStatus.Completed,
    completedAt: new Date(now - HOUR),
    linkExpiresAt: new Date(now + linkExpiresInMs),
    fileExpiresAt: new Date(now + fileExpiresInMs),
    rowCount: 10,
    sizeBytes: 400,
    sha256: 'ab'.repeat(32),
    fileName: 'contacts.csv',
    objectKey: `${ACCOUNT}/x/1/contacts.csv`,
  });
}

const contacts = (fields: Partial<CreateContactsExportDto>) => Object.assign(new CreateContactsExportDto(), fields);

describe('ExportsService', () => {
  let registry: MemoryRegistry;
  let relay: CountingRelay;
  let signer: FakeSigner;
  let service: ExportsService;

  beforeEach(() => {
    registry = new MemoryRegistry();
    relay = new CountingRelay();
    signer = new FakeSigner();
    const config = Object.assign(new AppConfig(), { EXPORT_MAX_OPEN_PER_ACCOUNT: 2, EXPORT_LINK_TTL_SECONDS: 600, EXPORT_MAX_RANGE_DAYS: 31 });
    service = new ExportsService(registry, relay, signer, config);
  });

  describe('createOnce', () => {
    it('registers a PENDING export with its filters and time zone, and kicks the relay', async () => {
      const { resource, replayed } = await service.createOnce(ACCOUNT, ExportType.Contacts, contacts({ listIds: ['l-1'], timezone: 'Europe/Paris' }));
      expect(replayed).toBe(false);
      expect(resource).toMatchObject({ type: ExportType.Contacts, status: ExportStatus.Pending, filters: { listIds: ['l-1'] }, isAvailableForDownload: false });
      expect(registry.records.get(resource.exportId)?.timezone).toBe('Europe/Paris');
      expect(relay.kicks).toBe(1);
    });

    it('gives back the first export for the same key and body, without a second run', async () => {
      const first = await service.createOnce(ACCOUNT, ExportType.Contacts, contacts({ listIds: ['l-1'] }), 'key-1');
      const again = await service.createOnce(ACCOUNT, ExportType.Contacts, contacts({ listIds: ['l-1'] }), 'key-1');
      expect(again).toEqual({ resource: { ...first.resource }, replayed: true });
      expect(registry.records.size).toBe(1);
      expect(relay.kicks).toBe(1);
    });

    it('refuses the same key with another body (409)', async () => {
      await service.createOnce(ACCOUNT, ExportType.Contacts, contacts({ listIds: ['l-1'] }), 'key-1');
      const error = await refusal(service.createOnce(ACCOUNT, ExportType.Contacts, contacts({ listIds: ['l-2'] }), 'key-1'));
      expect(error.code).toBe(ErrorCode.IdempotencyConflict);
      expect(error.message).toContain('Idempotency-Key');
    });

    it('answers 429 with retryAfter once the account has its cap of unfinished exports', async () => {
      await service.createOnce(ACCOUNT, ExportType.Contacts, contacts({}));
      await service.createOnce(ACCOUNT, ExportType.Contacts, contacts({}));
      const error = await refusal(service.createOnce(ACCOUNT, ExportType.Contacts, contacts({})));
      expect(error.code).toBe(ErrorCode.TooManyOpenExports);
      expect(error.message).toContain('2 unfinished exports (limit 2)');
      expect(error.extra).toEqual({ retryAfter: 5 });
    });

    it('stores plain-date bounds as the first and last instants of those days in the request time zone', async () => {
      const request = Object.assign(new CreateMessageHistoryExportDto(), { startDateTime: '2026-04-01', endDateTime: '2026-04-02', timezone: 'Europe/Paris' });
      const { resource } = await service.createOnce(ACCOUNT, ExportType.MessageHistory, request);
      expect(resource.filters).toEqual({ startDateTime: '2026-04-01T00:00:00.000+02:00', endDateTime: '2026-04-02T23:59:59.999999+02:00' });
      const reversed = Object.assign(new CreateMessageHistoryExportDto(), { startDateTime: '2026-04-02', endDateTime: '2026-04-01' });
      expect(JSON.stringify((await refusal(service.createOnce(ACCOUNT, ExportType.MessageHistory, reversed))).details)).toContain('endDateTime must not be before startDateTime');
    });

    it('refuses a date range longer than EXPORT_MAX_RANGE_DAYS, naming the fields, and writes nothing', async () => {
      const request = Object.assign(new CreateMessageHistoryExportDto(), { startDateTime: '2026-01-01T00:00:00Z', endDateTime: '2026-03-01T00:00:00Z' });
      const error = await refusal(service.createOnce(ACCOUNT, ExportType.MessageHistory, request));
      expect(error.code).toBe(ErrorCode.Validation);
      expect(JSON.stringify(error.details)).toContain('endDateTime');
      expect(registry.records.size).toBe(0);
      expect(relay.kicks).toBe(0);
    });
  });

  describe('get', () => {
    it('gives a COMPLETED export with a link presigned for the rest of its link lifetime', async () => {
      const record = completed(90_000, 24 * HOUR);
      registry.records.set(record.id, record);
      const detail = await service.get(ACCOUNT, record.id);
      expect(detail).toMatchObject({ exportId: record.id, status: ExportStatus.Completed, fileName: 'contacts.csv', rowCount: 10, sizeBytes: 400 });
      expect(detail.downloadUrl).toEqual(expect.any(String));
      expect(Date.parse(detail.expiresAt!)).toBeLessThanOrEqual(record.linkExpiresAt!.getTime());
      expect(signer.signed).toHaveLength(1);
      expect(signer.signed[0].seconds).toBeGreaterThanOrEqual(88);
      expect(signer.signed[0].seconds).toBeLessThanOrEqual(90);
    });

    it('gives every part of a split export its own link, in part order, and no single downloadUrl', async () => {
      const part = (n: number) => ({ part: n, fileName: `contacts-part-${n}-of-2.csv`, objectKey: `${ACCOUNT}/x/1/part-${n}.csv`, rowCount: 5, sizeBytes: 200, sha256: String(n).repeat(64) });
      const record = exportRecord({ ...completed(90_000, 24 * HOUR), sha256: null, fileName: null, files: [part(1), part(2)] });
      registry.records.set(record.id, record);
      const detail = await service.get(ACCOUNT, record.id);
      expect(detail.downloadUrl).toBeUndefined();
      expect(detail.fileName).toBeUndefined();
      expect(detail.files).toEqual([
        { part: 1, fileName: 'contacts-part-1-of-2.csv', rowCount: 5, sizeBytes: 200, sha256: '1'.repeat(64), downloadUrl: expect.any(String) },
        { part: 2, fileName: 'contacts-part-2-of-2.csv', rowCount: 5, sizeBytes: 200, sha256: '2'.repeat(64), downloadUrl: expect.any(String) },
      ]);
      expect(signer.signed.map((signed) => signed.key)).toEqual([`${ACCOUNT}/x/1/part-1.csv`, `${ACCOUNT}/x/1/part-2.csv`]);
    });

    it('gives the same expiresAt, the link end to the second, however often the export is read', async () => {
      const record = completed(90_000, 24 * HOUR);
      registry.records.set(record.id, record);
      const first = await service.get(ACCOUNT, record.id);
      await new Promise((done) => setTimeout(done, 30));
      const second = await service.get(ACCOUNT, record.id);
      expect(first.expiresAt).toBe(new Date(Math.floor(record.linkExpiresAt!.getTime() / 1000) * 1000).toISOString());
      expect(second.expiresAt).toBe(first.expiresAt);
    });

    it('gives a PENDING export with its progress and a FAILED one with its error, without a link', async () => {
      const pending = exportRecord({ rowsExported: 1234 });
      const failed = exportRecord({ status: ExportStatus.Failed, errorCode: ExportErrorCode.Timeout, errorMessage: 'gave up' });
      for (const record of [pending, failed]) registry.records.set(record.id, record);

      const whilePending = await service.get(ACCOUNT, pending.id);
      expect(whilePending).toMatchObject({ status: ExportStatus.Pending, isAvailableForDownload: false, progress: { rowsExported: 1234 } });
      expect(whilePending.downloadUrl).toBeUndefined();
      const afterFailure = await service.get(ACCOUNT, failed.id);
      expect(afterFailure).toMatchObject({ status: ExportStatus.Failed, error: { code: 'TIMEOUT', message: 'gave up' } });
      expect(afterFailure.downloadUrl).toBeUndefined();
      expect(signer.signed).toEqual([]);
    });

    it('refuses an expired link with LINK_EXPIRED (400), signing nothing', async () => {
      const expired = completed(-1000, 24 * HOUR);
      registry.records.set(expired.id, expired);
      const error = await refusal(service.get(ACCOUNT, expired.id));
      expect(error.code).toBe(ErrorCode.LinkExpired);
      expect(error.message).toContain('POST /exports/{exportId}');
      expect(signer.signed).toEqual([]);
    });

    it("answers 404 for another account's export", async () => {
      const record = completed(HOUR, 24 * HOUR);
      registry.records.set(record.id, record);
      expect((await refusal(service.get(randomUUID(), record.id))).code).toBe(ErrorCode.NotFound);
    });
  });

  describe('regenerate', () => {
    it('renews the link of an expired link while the file is kept (no new run)', async () => {
      const record = completed(-1000, 24 * HOUR);
      registry.records.set(record.id, record);
      const result = await service.regenerate(ACCOUNT, record.id);
      expect(result).toMatchObject({ kind: 'link', detail: { exportId: record.id, status: ExportStatus.Completed, downloadUrl: expect.any(String) } });
      expect(registry.records.get(record.id)?.run).toBe(1);
      expect(relay.kicks).toBe(0);
    });

    it('runs the export again once its file is gone, and kicks the relay', async () => {
      const record = completed(-2 * HOUR, -HOUR);
      registry.records.set(record.id, record);
      const result = await service.regenerate(ACCOUNT, record.id);
      expect(result).toMatchObject({ kind: 'rerun', resource: { exportId: record.id, status: ExportStatus.Pending } });
      expect(registry.records.get(record.id)?.run).toBe(2);
      expect(relay.kicks).toBe(1);
    });

    it('runs a CANCELLED export again in a new run (restart), under the open cap like a retry', async () => {
      const cancelled = exportRecord({ status: ExportStatus.Cancelled, cancelledAt: new Date() });
      registry.records.set(cancelled.id, cancelled);
      const result = await service.regenerate(ACCOUNT, cancelled.id);
      expect(result).toMatchObject({ kind: 'rerun', resource: { exportId: cancelled.id, status: ExportStatus.Pending } });
      expect(result.kind === 'rerun' && result.resource.cancelledAt).toBeUndefined();
      expect(registry.reruns).toEqual([ExportEvent.Restart]);
      expect(relay.kicks).toBe(1);

      const again = exportRecord({ status: ExportStatus.Cancelled });
      registry.records.set(again.id, again);
      registry.records.set('other', exportRecord({ id: 'other' }));
      expect((await refusal(service.regenerate(ACCOUNT, again.id))).code).toBe(ErrorCode.TooManyOpenExports);
    });

    it('refuses a re-run over the open cap (429) and a PENDING export (409)', async () => {
      const failed = exportRecord({ status: ExportStatus.Failed, errorCode: ExportErrorCode.Internal, errorMessage: 'boom' });
      const pendingOne = exportRecord({});
      const pendingTwo = exportRecord({});
      for (const record of [failed, pendingOne, pendingTwo]) registry.records.set(record.id, record);
      expect((await refusal(service.regenerate(ACCOUNT, failed.id))).code).toBe(ErrorCode.TooManyOpenExports);
      expect((await refusal(service.regenerate(ACCOUNT, pendingOne.id))).code).toBe(ErrorCode.ExportNotReady);
      expect(relay.kicks).toBe(0);
    });
  });

  it('lists the account page by page with the total', async () => {
    for (let i = 0; i < 3; i++) registry.records.set(String(i), exportRecord({ id: String(i), status: ExportStatus.Failed }));
    const page = await service.list(ACCOUNT, Object.assign(new ListExportsQueryDto(), { page: 1, limit: 2 }));
    expect(page).toMatchObject({ page: 1, limit: 2, totalItems: 3 });
    expect(page.items.map((item) => item.exportId)).toEqual(['2']);
  });
});
