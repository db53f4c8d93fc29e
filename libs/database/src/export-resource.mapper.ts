import { ExportResourceDto, ExportStatus } from '@exports/contracts';
import { effectiveStatus } from '@exports/export-status';
import { ExportEntity } from './entities/export.entity';

/** The export resource as customers and internal services see it, read at `now`. */
export function toExportResource(record: ExportEntity, now: Date): ExportResourceDto {
  const status = effectiveStatus(record, now);
  const resource: ExportResourceDto = {
    exportId: record.id,
    type: record.type,
    status,
    isAvailableForDownload: status === ExportStatus.Completed,
    filters: record.filters,
    createdAt: record.createdAt.toISOString(),
    progress: { rowsExported: record.rowsExported },
  };
  if (record.completedAt) resource.completedAt = record.completedAt.toISOString();
  if (record.linkExpiresAt) resource.linkExpiresAt = record.linkExpiresAt.toISOString();
  if (record.fileExpiresAt) resource.fileExpiresAt = record.fileExpiresAt.toISOString();
  if (record.rowCount !== null) resource.rowCount = record.rowCount;
  if (record.sizeBytes !== null) resource.sizeBytes = record.sizeBytes;
  if (record.sha256) resource.sha256 = record.sha256;
  if (record.fileName && (status === ExportStatus.Completed || status === ExportStatus.Expired)) resource.fileName = record.fileName;
  if (status === ExportStatus.Failed && record.errorCode) {
    resource.error = { code: record.errorCode, message: record.errorMessage ?? '' };
  }
  return resource;
}
