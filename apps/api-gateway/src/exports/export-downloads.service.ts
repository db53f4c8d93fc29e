import { Inject, Injectable, Logger } from '@nestjs/common';
import { ExportDownloadLinkDto, ExportDownloadPageDto, ExportStatus, ListExportDownloadsQueryDto } from '@exports/contracts';
import { Downloader, ExportDownloadsRepository, ExportEntity, exportFilesOf, ExportsRepository, StoredExportFile } from '@exports/database';
import { effectiveStatus, isFileRetained } from '@exports/export-status';
import { DomainError, ErrorCode } from '@exports/platform';
import { ObjectStorage } from '@exports/storage';
import { linkEnd, linkWindow } from './export-links';
import { exportChanged, exportNotFound, findExport } from './export-lookup';

/** What the use cases need of each collaborator: the app injects the real ones, the unit spec fakes. */
export type ExportReader = Pick<ExportsRepository, 'findOne'>;
export type DownloadAudit = Pick<ExportDownloadsRepository, 'record' | 'list'>;
export type FileLinkSigner = Pick<ObjectStorage, 'presignGet'>;

/**
 * The file `GET /exports/{exportId}/download` hands out, given the export as it reads `now`, or
 * the error the rest of the API gives for the same state: EXPORT_NOT_READY while PENDING (and for
 * an export that has no file: FAILED), LINK_EXPIRED once the link has passed or the file is gone,
 * and a 400 naming `part` for a part the export does not have (or none, when it has several).
 */
export function fileToDownload(record: ExportEntity, part: number | undefined, now: Date): StoredExportFile {
  const status = effectiveStatus(record, now);
  if (status === ExportStatus.Pending) {
    throw new DomainError(ErrorCode.ExportNotReady, 'The export is still being produced; poll GET /exports/{exportId} until it is COMPLETED', undefined, { exportStatus: status });
  }
  if (status === ExportStatus.Expired || (status === ExportStatus.Completed && !isFileRetained(record, now))) {
    throw new DomainError(ErrorCode.LinkExpired, 'The download link has expired; regenerate it with POST /exports/{exportId}', undefined, { exportStatus: status });
  }
  const files = status === ExportStatus.Completed ? exportFilesOf(record) : [];
  if (files.length === 0) {
    throw new DomainError(ErrorCode.ExportNotReady, `The export is ${status} and has no file; run it again with POST /exports/{exportId}`, undefined, { exportStatus: status });
  }
  if (part === undefined && files.length > 1) throw invalidPart(`part is required: this export has ${files.length} files (part 1 to ${files.length})`);
  const chosen = files.find((file) => file.part === (part ?? 1));
  if (!chosen) throw invalidPart(`part must be from 1 to ${files.length}: this export has ${files.length} file${files.length === 1 ? '' : 's'}`);
  return chosen;
}

function invalidPart(message: string): DomainError {
  return new DomainError(ErrorCode.Validation, `The request is not valid: part`, [{ field: 'part', message }]);
}

/** The audited download of an export's file, and the audit itself. */
@Injectable()
export class ExportDownloadsService {
  private readonly logger = new Logger(ExportDownloadsService.name);

  constructor(
    @Inject(ExportsRepository) private readonly exports: ExportReader,
    @Inject(ExportDownloadsRepository) private readonly audit: DownloadAudit,
    @Inject(ObjectStorage) private readonly storage: FileLinkSigner,
  ) {}

  /**
   * Gives the file with a fresh presigned link, ending when the export's link ends (as read), as the
   * links of GET /exports/{exportId} do, and records the download (who, from where, which part).
   * The link is signed first (local computation, no request): a download is recorded only once
   * there is a link to hand out, and nothing is recorded when no link is given.
   */
  async download(accountId: string, exportId: string, part: number | undefined, downloader: Downloader): Promise<ExportDownloadLinkDto> {
    const record = await findExport(this.exports, accountId, exportId);
    const file = fileToDownload(record, part, new Date());
    const window = linkWindow(record.linkExpiresAt!, new Date());
    const { objectKey, ...listed } = file;
    const downloadUrl = await this.storage.presignGet(objectKey, window.seconds, file.fileName, window.signedAt);
    const recorded = await this.audit.record(accountId, { exportId, run: record.run, part: file.part, downloader });
    if (!recorded) {
      // It changed meanwhile (the link passed, a new run began): the link is not handed out; answer for what it is now.
      fileToDownload(await findExport(this.exports, accountId, exportId), part, new Date());
      throw exportChanged();
    }
    this.logger.log({ message: 'Export downloaded', exportId, accountId, part: file.part, apiKeyId: downloader.apiKeyId });
    return { ...listed, downloadUrl, expiresAt: linkEnd(window).toISOString() };
  }

  async list(accountId: string, exportId: string, query: ListExportDownloadsQueryDto): Promise<ExportDownloadPageDto> {
    const found = await this.audit.list(accountId, exportId, query);
    if (!found) throw exportNotFound(exportId);
    return {
      items: found.items.map((download) => ({ ...download, downloadedAt: download.downloadedAt.toISOString() })),
      page: query.page,
      limit: query.limit,
      totalItems: found.totalItems,
    };
  }
}
