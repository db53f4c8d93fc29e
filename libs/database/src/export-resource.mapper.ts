import { ExportResourceDto, ExportStatus } from '@exports/contracts';
import { effectiveStatus } from '@exports/export-status';
import { ExportEntity, StoredExportFile } from './entities/export.entity';

/**
 * The files of the export's completed run, in row order: as recorded, or, for an export completed
 * before runs recorded their files, its one file. Empty when no run completed.
 */
export function exportFilesOf(record: ExportEntity): StoredExportFile[] {
  if (record.files) return record.files;
  if (!record.objectKey || !record.fileName) return [];
  return [{ part: 1, fileName: record.fileName, objectKey: record.objectKey, rowCount: record.rowCount ?? 0, sizeBytes: record.sizeBytes ?? 0, sha256: record.sha256 ?? '' }];
}

/** The export resource as customers and internal services see it, read at `now`. */
export function toExportResource(record: ExportEntity, now: Date): ExportResourceDto {
  const status = effectiveStatus(record, now);
  const resource: ExportResourceDto = {
    exportId: record.id,
    type: record.type,
    status,
    isAvailableForDownload: status === ExportStatus.Completed,
    filters: record.filters,
    format: record.format,
    maxRowsPerFile: record.maxRowsPerFile,
    createdAt: record.createdAt.toISOString(),
    progress: { rowsExported: record.rowsExported },
    downloadCount: record.downloadCount,
    lastDownloadedAt: record.lastDownloadedAt?.toISOString() ?? null,
  };
  if (record.columns) resource.columns = record.columns;
  if (record.completedAt) resource.completedAt = record.completedAt.toISOString();
  if (record.cancelledAt) resource.cancelledAt = record.cancelledAt.toISOString();
  if (record.linkExpiresAt) resource.linkExpiresAt = record.linkExpiresAt.toISOString();
  if (record.fileExpiresAt) resource.fileExpiresAt = record.fileExpiresAt.toISOString();
  if (record.rowCount !== null) resource.rowCount = record.rowCount;
  if (record.sizeBytes !== null) resource.sizeBytes = record.sizeBytes;
  if (record.sha256) resource.sha256 = record.sha256;
  if (status === ExportStatus.Completed || status === ExportStatus.Expired) {
    const files = exportFilesOf(record);
    if (files.length === 1) resource.fileName = files[0].fileName;
    if (files.length) resource.files = files.map(({ part, fileName, rowCount, sizeBytes, sha256 }) => ({ part, fileName, rowCount, sizeBytes, sha256 }));
  }
  if (status === ExportStatus.Failed && record.errorCode) {
    resource.error = { code: record.errorCode, message: record.errorMessage ?? '' };
  }
  return resource;
}
