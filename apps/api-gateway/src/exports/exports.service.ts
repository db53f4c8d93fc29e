import { Injectable, Logger } from '@nestjs/common';
import {
  DownloadLinkDto,
  exportRunMessageId,
  ExportErrorCode,
  ExportPageDto,
  ExportRequestBase,
  ExportRequestedEvent,
  ExportResourceDto,
  ExportStatus,
  ExportType,
  ListExportsQueryDto,
  Subjects,
} from '@exports/contracts';
import { ExportEntity, ExportsRepository, toExportResource } from '@exports/database';
import { effectiveStatus, ExportEvent, regenerateEvent } from '@exports/export-status';
import { AppConfig, DomainError, ErrorCode, JetStream } from '@exports/platform';
import { ObjectStorage } from '@exports/storage';

export type RegenerateResult = { kind: 'link'; link: DownloadLinkDto } | { kind: 'rerun'; resource: ExportResourceDto };

/** The export use cases of the API: register and hand off, list, link, regenerate. */
@Injectable()
export class ExportsService {
  private readonly logger = new Logger(ExportsService.name);

  constructor(
    private readonly exports: ExportsRepository,
    private readonly jetStream: JetStream,
    private readonly storage: ObjectStorage,
    private readonly config: AppConfig,
  ) {}

  /** Registers the export as PENDING and puts its first run on the EXPORTS stream. */
  async create(accountId: string, type: ExportType, request: ExportRequestBase): Promise<ExportResourceDto> {
    const open = await this.exports.countOpen(accountId);
    if (open >= this.config.EXPORT_MAX_OPEN_PER_ACCOUNT) {
      throw new DomainError(
        ErrorCode.TooManyRequests,
        `The account already has ${open} unfinished exports (limit ${this.config.EXPORT_MAX_OPEN_PER_ACCOUNT}); wait for one to finish`,
        undefined,
        { retryAfter: 5 },
      );
    }
    const { timezone, ...filters } = request;
    const record = await this.exports.create(accountId, { type, filters: dropUndefined(filters), timezone: timezone ?? 'UTC' });
    try {
      await this.handOff(record);
    } catch (error) {
      await this.exports.withdraw(accountId, record.id);
      this.logger.error({ message: 'Export could not be queued; withdrawn', exportId: record.id, accountId, error: (error as Error).message });
      throw new DomainError(ErrorCode.Unavailable, 'Exports cannot be queued right now; nothing was registered. Retry in a few seconds.');
    }
    this.logger.log({ message: 'Export requested', exportId: record.id, accountId, type });
    return toExportResource(record, new Date());
  }

  async list(accountId: string, query: ListExportsQueryDto): Promise<ExportPageDto> {
    const { items, totalItems } = await this.exports.list(accountId, query);
    const now = new Date();
    return { items: items.map((item) => toExportResource(item, now)), page: query.page, limit: query.limit, totalItems };
  }

  async get(accountId: string, exportId: string): Promise<ExportResourceDto> {
    return toExportResource(await this.find(accountId, exportId), new Date());
  }

  /** The presigned link of a COMPLETED export; the errors say what to do otherwise. */
  async link(accountId: string, exportId: string): Promise<DownloadLinkDto> {
    const record = await this.find(accountId, exportId);
    const now = new Date();
    switch (effectiveStatus(record, now)) {
      case ExportStatus.Pending:
        throw new DomainError(ErrorCode.Conflict, 'The export is still being produced; poll GET /exports/{exportId} until it is COMPLETED', undefined, {
          exportStatus: ExportStatus.Pending,
          progress: { rowsExported: record.rowsExported },
        });
      case ExportStatus.Failed:
        throw new DomainError(ErrorCode.Conflict, `The export failed: ${record.errorMessage ?? 'unknown error'}`, undefined, {
          exportStatus: ExportStatus.Failed,
          exportError: { code: record.errorCode ?? ExportErrorCode.Internal, message: record.errorMessage ?? '' },
        });
      case ExportStatus.Expired:
        throw new DomainError(ErrorCode.LinkExpired, 'The download link has expired; regenerate it with POST /exports/{exportId}');
      default:
        return this.presign(record, now);
    }
  }

  /** A fresh link while the file is kept (200), or a new run with the same filters (202). */
  async regenerate(accountId: string, exportId: string): Promise<RegenerateResult> {
    const record = await this.find(accountId, exportId);
    const now = new Date();
    if (record.status === ExportStatus.Pending) {
      throw new DomainError(ErrorCode.Conflict, 'The export is still being produced; there is no link to regenerate yet');
    }
    const event = regenerateEvent({ ...record, status: effectiveStatus(record, now) }, now);
    if (event === ExportEvent.RegenerateRetained) {
      if (!(await this.exports.renewLink(accountId, exportId, this.config.EXPORT_LINK_TTL_SECONDS))) throw this.changedMeanwhile();
      return { kind: 'link', link: await this.presign(await this.find(accountId, exportId), new Date()) };
    }
    if (event !== ExportEvent.RegeneratePurged && event !== ExportEvent.Retry) throw this.changedMeanwhile();
    const run = await this.exports.rerun(accountId, exportId, event);
    if (run === null) throw this.changedMeanwhile();
    const rerun = await this.find(accountId, exportId);
    try {
      await this.handOff(rerun);
    } catch (error) {
      await this.exports.fail(accountId, exportId, run, ExportErrorCode.Internal, 'The export could not be queued; retry it with POST /exports/{exportId}');
      this.logger.error({ message: 'Re-run could not be queued', exportId, accountId, error: (error as Error).message });
      throw new DomainError(ErrorCode.Unavailable, 'Exports cannot be queued right now; retry in a few seconds');
    }
    this.logger.log({ message: 'Export re-run requested', exportId, accountId, run });
    return { kind: 'rerun', resource: toExportResource(rerun, new Date()) };
  }

  private async handOff(record: ExportEntity): Promise<void> {
    const event: ExportRequestedEvent = { exportId: record.id, accountId: record.accountId, type: record.type, run: record.run };
    await this.jetStream.publish(Subjects.exportRequested[record.type], event, exportRunMessageId(event));
  }

  private async presign(record: ExportEntity, now: Date): Promise<DownloadLinkDto> {
    const expiresAt = record.linkExpiresAt!;
    const seconds = Math.max(1, Math.floor((expiresAt.getTime() - now.getTime()) / 1000));
    return {
      exportId: record.id,
      downloadUrl: await this.storage.presignGet(record.objectKey!, seconds, record.fileName!),
      expiresAt: new Date(now.getTime() + seconds * 1000).toISOString(),
      fileName: record.fileName!,
      sizeBytes: record.sizeBytes!,
      sha256: record.sha256!,
      rowCount: record.rowCount!,
    };
  }

  private async find(accountId: string, exportId: string): Promise<ExportEntity> {
    const record = await this.exports.findOne(accountId, exportId);
    if (!record) throw new DomainError(ErrorCode.NotFound, `Export ${exportId} was not found`);
    return record;
  }

  private changedMeanwhile(): DomainError {
    return new DomainError(ErrorCode.Conflict, 'The export changed while the request was handled; read it again');
  }
}

function dropUndefined(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
