import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ExportDetailDto, ExportPageDto, ExportRequestBase, ExportResourceDto, ExportStatus, ExportType, ListExportsQueryDto } from '@exports/contracts';
import { ExportEntity, exportFilesOf, ExportsRepository, toExportResource } from '@exports/database';
import { effectiveStatus, ExportEvent, regenerateEvent } from '@exports/export-status';
import { OutboxRelay } from '@exports/outbox';
import { AppConfig, DomainError, ErrorCode } from '@exports/platform';
import { ObjectStorage } from '@exports/storage';
import { linkEnd, linkWindow } from './export-links';
import { exportChanged, findExport } from './export-lookup';
import { resolveExportRequest } from './export-request';

export type RegenerateResult = { kind: 'link'; detail: ExportDetailDto } | { kind: 'rerun'; resource: ExportResourceDto };

/** What the use cases need of each collaborator: the app injects the real ones, the unit spec fakes. */
export type ExportRegistry = Pick<ExportsRepository, 'create' | 'findByIdempotencyKey' | 'list' | 'findOne' | 'renewLink' | 'rerun'>;
export type RunPublisher = Pick<OutboxRelay, 'kick'>;
export type LinkSigner = Pick<ObjectStorage, 'presignGet'>;

/** The export use cases of the API: register and hand off, list, link, regenerate. */
@Injectable()
export class ExportsService {
  private readonly logger = new Logger(ExportsService.name);

  constructor(
    @Inject(ExportsRepository) private readonly exports: ExportRegistry,
    @Inject(OutboxRelay) private readonly relay: RunPublisher,
    @Inject(ObjectStorage) private readonly storage: LinkSigner,
    private readonly config: AppConfig,
  ) {}

  /**
   * Registers the export as PENDING (its first run goes to the bus through the outbox), once per
   * `Idempotency-Key`: the same key and body give back the export made the first time
   * (`replayed: true`); the same key with another body is a 409.
   */
  async createOnce(accountId: string, type: ExportType, asked: ExportRequestBase, idempotencyKey?: string): Promise<{ resource: ExportResourceDto; replayed: boolean }> {
    const requested = resolveExportRequest(type, asked, this.config.EXPORT_MAX_RANGE_DAYS);
    const requestHash = idempotencyKey ? hashRequest(requested) : undefined;
    const cap = this.config.EXPORT_MAX_OPEN_PER_ACCOUNT;
    const { record, open } = await this.exports.create(accountId, { ...requested, idempotencyKey, requestHash }, cap);
    if (record) {
      this.relay.kick();
      this.logger.log({ message: 'Export requested', exportId: record.id, accountId, type });
      return { resource: toExportResource(record, new Date()), replayed: false };
    }
    // Not written: the key was used before (a replay, whatever the cap says), or the cap is reached.
    const earlier = idempotencyKey ? await this.exports.findByIdempotencyKey(accountId, idempotencyKey) : null;
    if (earlier) return { resource: this.replay(earlier, requestHash!), replayed: true };
    throw this.tooManyOpen(open);
  }

  /** The same 429 for a new export and a re-run: both would add an unfinished export. */
  private tooManyOpen(open: number): DomainError {
    const cap = this.config.EXPORT_MAX_OPEN_PER_ACCOUNT;
    return new DomainError(ErrorCode.TooManyOpenExports, `The account already has ${open} unfinished exports (limit ${cap}); wait for one to finish`, undefined, {
      retryAfter: 5,
    });
  }

  private replay(record: ExportEntity, requestHash: string): ExportResourceDto {
    if (record.requestHash !== requestHash) {
      throw new DomainError(ErrorCode.IdempotencyConflict, 'This Idempotency-Key was already used with a different request; use a new key for a new export');
    }
    return toExportResource(record, new Date());
  }

  async list(accountId: string, query: ListExportsQueryDto): Promise<ExportPageDto> {
    const { items, totalItems } = await this.exports.list(accountId, query);
    const now = new Date();
    return { items: items.map((item) => toExportResource(item, now)), page: query.page, limit: query.limit, totalItems };
  }

  /**
   * The export as it reads now, with a presigned link while it is COMPLETED. A PENDING or FAILED
   * export is answered as it is (its `progress`, its `error`); an EXPIRED one is refused with
   * LINK_EXPIRED, which says how to get a new link.
   */
  async get(accountId: string, exportId: string): Promise<ExportDetailDto> {
    const record = await findExport(this.exports, accountId, exportId);
    const now = new Date();
    const status = effectiveStatus(record, now);
    if (status === ExportStatus.Expired) {
      throw new DomainError(ErrorCode.LinkExpired, 'The download link has expired; regenerate it with POST /exports/{exportId}', undefined, { exportStatus: status });
    }
    if (status === ExportStatus.Completed) return this.withLink(record, now);
    // PENDING, FAILED or CANCELLED: no file to list (files are listed, with links, once COMPLETED).
    const { files: _none, ...resource } = toExportResource(record, now);
    return resource;
  }

  /** A fresh link while the file is kept (200), or a new run with the same filters (202: purged, FAILED or CANCELLED). */
  async regenerate(accountId: string, exportId: string): Promise<RegenerateResult> {
    const record = await findExport(this.exports, accountId, exportId);
    const now = new Date();
    if (record.status === ExportStatus.Pending) {
      throw new DomainError(ErrorCode.ExportNotReady, 'The export is still being produced; poll GET /exports/{exportId} until it is COMPLETED', undefined, {
        exportStatus: ExportStatus.Pending,
      });
    }
    const event = regenerateEvent({ ...record, status: effectiveStatus(record, now) }, now);
    if (event === ExportEvent.RegenerateRetained) {
      if (!(await this.exports.renewLink(accountId, exportId, this.config.EXPORT_LINK_TTL_SECONDS))) throw exportChanged();
      const renewed = await findExport(this.exports, accountId, exportId);
      const at = new Date();
      // The file's retention may end between the renewal and now: then there is no link to give (a retry re-runs it).
      if (effectiveStatus(renewed, at) !== ExportStatus.Completed) throw exportChanged();
      return { kind: 'link', detail: await this.withLink(renewed, at) };
    }
    if (event !== ExportEvent.RegeneratePurged && event !== ExportEvent.Retry && event !== ExportEvent.Restart) throw exportChanged();
    const result = await this.exports.rerun(accountId, exportId, event, this.config.EXPORT_MAX_OPEN_PER_ACCOUNT);
    if (result.kind === 'capped') throw this.tooManyOpen(result.open);
    if (result.kind === 'unchanged') throw exportChanged();
    this.relay.kick();
    const rerun = await findExport(this.exports, accountId, exportId);
    this.logger.log({ message: 'Export re-run requested', exportId, accountId, run: result.run });
    return { kind: 'rerun', resource: toExportResource(rerun, new Date()) };
  }

  /** The resource with a presigned link per file, and `downloadUrl` itself for a single-file export. */
  private async withLink(record: ExportEntity, now: Date): Promise<ExportDetailDto> {
    const window = linkWindow(record.linkExpiresAt!, now);
    const { signedAt, seconds } = window;
    const stored = exportFilesOf(record);
    const files = await Promise.all(
      stored.map(async ({ part, fileName, rowCount, sizeBytes, sha256, objectKey }) => ({
        part,
        fileName,
        rowCount,
        sizeBytes,
        sha256,
        downloadUrl: await this.storage.presignGet(objectKey, seconds, fileName, signedAt),
      })),
    );
    return {
      ...toExportResource(record, now),
      files,
      ...(files.length === 1 ? { downloadUrl: files[0].downloadUrl } : {}),
      expiresAt: linkEnd(window).toISOString(),
    };
  }

}

/** A stable digest of what was asked, to tell a replay from a different request under one key. */
function hashRequest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
