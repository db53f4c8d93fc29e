import { randomUUID } from 'node:crypto';
import { ExportErrorCode, ExportStatus } from '@exports/contracts';
import { DownloadRequest, ExportDownloadRecord, ExportEntity, StoredExportFile } from '@exports/database';
import { DomainError, ErrorCode } from '@exports/platform';
import { DownloadAudit, ExportDownloadsService, ExportReader, FileLinkSigner, fileToDownload } from './export-downloads.service';
import { exportEntity } from '../../test/export-entities';

const ACCOUNT = '0b7e2b9e-8e2c-4c39-9a0e-3b9f4b1c2d3e';
const NOW = new Date('2026-06-01T12:00:00.400Z');
const HOUR = 3_600_000;

function part(n: number, of: number): StoredExportFile {
  return { part: n, fileName: `contacts-part-${n}-of-${of}.csv`, objectKey: `${ACCOUNT}/e/1/part-${n}.csv`, rowCount: 2, sizeBytes: 10, sha256: `${n}`.repeat(64) };
}

function exportRecord(fields: Partial<ExportEntity>): ExportEntity {
  const anHourAgo = new Date(NOW.getTime() - HOUR);
  return exportEntity(ACCOUNT, {
    status: ExportStatus.Completed,
    maxRowsPerFile: 2,
    files: [part(1, 1)],
    attempts: 1,
    createdAt: anHourAgo,
    updatedAt: anHourAgo,
    completedAt: anHourAgo,
    linkExpiresAt: new Date(NOW.getTime() + HOUR),
    fileExpiresAt: new Date(NOW.getTime() + 24 * HOUR),
    rowCount: 2,
    sizeBytes: 10,
    rowsExported: 2,
    ...fields,
  });
}

/** The DomainError `work` throws, as the envelope would carry it. */
function refusal(work: () => unknown): { code: ErrorCode; message: string; details?: unknown; extra?: unknown } {
  try {
    work();
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { code: error.code, message: error.message, details: error.details, extra: error.extra };
  }
  throw new Error('expected a refusal');
}

describe('fileToDownload', () => {
  const split = exportRecord({ files: [part(1, 3), part(2, 3), part(3, 3)] });

  it('gives the one file of a single-file export, with or without part=1', () => {
    const single = exportRecord({});
    expect(fileToDownload(single, undefined, NOW)).toEqual(part(1, 1));
    expect(fileToDownload(single, 1, NOW)).toEqual(part(1, 1));
  });

  it('gives the asked part of a split export', () => {
    expect(fileToDownload(split, 2, NOW)).toEqual(part(2, 3));
    expect(fileToDownload(split, 3, NOW)).toEqual(part(3, 3));
  });

  it('refuses a split export without part, and a part it does not have, naming part', () => {
    expect(refusal(() => fileToDownload(split, undefined, NOW))).toEqual({
      code: ErrorCode.Validation,
      message: 'The request is not valid: part',
      details: [{ field: 'part', message: 'part is required: this export has 3 files (part 1 to 3)' }],
      extra: undefined,
    });
    expect(refusal(() => fileToDownload(split, 4, NOW)).details).toEqual([{ field: 'part', message: 'part must be from 1 to 3: this export has 3 files' }]);
    expect(refusal(() => fileToDownload(exportRecord({}), 2, NOW)).details).toEqual([{ field: 'part', message: 'part must be from 1 to 1: this export has 1 file' }]);
  });

  it('serves an export completed before parts existed from its own file fields', () => {
    const legacy = exportRecord({ files: null, objectKey: `${ACCOUNT}/e/contacts.csv`, fileName: 'contacts.csv', sha256: 'a'.repeat(64) });
    expect(fileToDownload(legacy, undefined, NOW)).toMatchObject({ part: 1, objectKey: `${ACCOUNT}/e/contacts.csv`, fileName: 'contacts.csv' });
  });

  it('answers PENDING and FAILED with EXPORT_NOT_READY and the status, before looking at part', () => {
    expect(refusal(() => fileToDownload(exportRecord({ status: ExportStatus.Pending, files: null }), 9, NOW))).toMatchObject({
      code: ErrorCode.ExportNotReady,
      extra: { exportStatus: ExportStatus.Pending },
    });
    const failed = exportRecord({ status: ExportStatus.Failed, files: null, errorCode: ExportErrorCode.Internal });
    expect(refusal(() => fileToDownload(failed, undefined, NOW))).toMatchObject({
      code: ErrorCode.ExportNotReady,
      message: 'The export is FAILED and has no file; run it again with POST /exports/{exportId}',
      extra: { exportStatus: ExportStatus.Failed },
    });
  });

  it('answers a passed link (written EXPIRED or not yet) and a file no longer kept with LINK_EXPIRED', () => {
    const passed = exportRecord({ linkExpiresAt: new Date(NOW.getTime() - 1) });
    expect(refusal(() => fileToDownload(passed, undefined, NOW))).toMatchObject({ code: ErrorCode.LinkExpired, extra: { exportStatus: ExportStatus.Expired } });
    const written = exportRecord({ status: ExportStatus.Expired, linkExpiresAt: new Date(NOW.getTime() - HOUR) });
    expect(refusal(() => fileToDownload(written, 1, NOW)).code).toBe(ErrorCode.LinkExpired);
    const purged = exportRecord({ filePurgedAt: new Date(NOW.getTime() - 1) });
    expect(refusal(() => fileToDownload(purged, undefined, NOW)).code).toBe(ErrorCode.LinkExpired);
  });
});

class MemoryAudit implements DownloadAudit {
  readonly recorded: DownloadRequest[] = [];
  /** What the conditional write finds: the export as it then reads, or null once it changed. */
  constructor(private readonly current: () => ExportEntity | null) {}

  async record(_accountId: string, request: DownloadRequest): Promise<ExportEntity | null> {
    const record = this.current();
    if (!record) return null;
    this.recorded.push(request);
    return record;
  }

  async list(): Promise<{ items: ExportDownloadRecord[]; totalItems: number } | null> {
    return null;
  }
}

class FakeSigner implements FileLinkSigner {
  readonly signed: Array<{ key: string; seconds: number; fileName?: string; signedAt?: Date }> = [];
  async presignGet(key: string, seconds: number, fileName?: string, signedAt?: Date): Promise<string> {
    this.signed.push({ key, seconds, fileName, signedAt });
    return `https://files.example/${key}?expires=${seconds}`;
  }
}

describe('ExportDownloadsService.download', () => {
  /** Kept a day from the real clock: the service reads the time itself. */
  const kept = () => ({ fileExpiresAt: new Date(Date.now() + 24 * HOUR) });
  const downloader = { apiKeyId: randomUUID(), clientIp: '203.0.113.7', userAgent: 'curl/8.5.0' };

  function service(stored: ExportEntity | null, current: () => ExportEntity | null = () => stored) {
    const reader: ExportReader = { findOne: async (accountId, id) => (stored && stored.accountId === accountId && stored.id === id ? stored : null) };
    const audit = new MemoryAudit(current);
    const signer = new FakeSigner();
    return { downloads: new ExportDownloadsService(reader, audit, signer), audit, signer };
  }

  it('signs the file until the export link ends, then records the download of the run and part', async () => {
    const linkExpiresAt = new Date(Date.now() + 10 * 60_000);
    const record = exportRecord({ run: 2, files: [part(1, 2), part(2, 2)], linkExpiresAt, ...kept() });
    const { downloads, audit, signer } = service(record);
    const link = await downloads.download(ACCOUNT, record.id, 2, downloader);
    expect(audit.recorded).toEqual([{ exportId: record.id, run: 2, part: 2, downloader }]);
    expect(signer.signed).toEqual([{ key: part(2, 2).objectKey, seconds: expect.any(Number), fileName: part(2, 2).fileName, signedAt: expect.any(Date) }]);
    const [{ seconds, signedAt }] = signer.signed;
    expect(signedAt!.getTime() % 1000).toBe(0);
    expect(signedAt!.getTime() + seconds * 1000).toBeLessThanOrEqual(linkExpiresAt.getTime());
    expect(link).toEqual({ ...part(2, 2), objectKey: undefined, downloadUrl: expect.stringContaining('part-2.csv'), expiresAt: new Date(signedAt!.getTime() + seconds * 1000).toISOString() });
    expect(Object.keys(link)).not.toContain('objectKey');
  });

  it('is NOT_FOUND for another account, and records nothing', async () => {
    const record = exportRecord(kept());
    const { downloads, audit } = service(record);
    await expect(downloads.download(randomUUID(), record.id, undefined, downloader)).rejects.toMatchObject({ code: ErrorCode.NotFound });
    expect(audit.recorded).toEqual([]);
  });

  it('answers for the export as it is now when it changed before the record was written, and hands out no link', async () => {
    const record = exportRecord({ linkExpiresAt: new Date(Date.now() + HOUR), ...kept() });
    let reads = 0;
    const reader: ExportReader = {
      // The second read finds the link passed (the sweeper, or the clock, got there first).
      findOne: async () => (++reads === 1 ? record : exportRecord({ id: record.id, linkExpiresAt: new Date(Date.now() - 1), ...kept() })),
    };
    const audit = new MemoryAudit(() => null);
    const downloads = new ExportDownloadsService(reader, audit, new FakeSigner());
    await expect(downloads.download(ACCOUNT, record.id, undefined, downloader)).rejects.toMatchObject({ code: ErrorCode.LinkExpired });
    expect(audit.recorded).toEqual([]);
  });

  it('is EXPORT_CHANGED when a new run began meanwhile that is downloadable again', async () => {
    const record = exportRecord({ linkExpiresAt: new Date(Date.now() + HOUR), ...kept() });
    const { downloads, audit } = service(record, () => null);
    await expect(downloads.download(ACCOUNT, record.id, undefined, downloader)).rejects.toMatchObject({ code: ErrorCode.ExportChanged });
    expect(audit.recorded).toEqual([]);
  });

  it('records nothing when the link cannot be signed: no download without a link handed out', async () => {
    const record = exportRecord({ linkExpiresAt: new Date(Date.now() + HOUR), ...kept() });
    const reader: ExportReader = { findOne: async () => record };
    const audit = new MemoryAudit(() => record);
    const signer: FileLinkSigner = { presignGet: () => Promise.reject(new Error('Invalid object name')) };
    const downloads = new ExportDownloadsService(reader, audit, signer);
    await expect(downloads.download(ACCOUNT, record.id, undefined, downloader)).rejects.toThrow('Invalid object name');
    expect(audit.recorded).toEqual([]);
  });
});
