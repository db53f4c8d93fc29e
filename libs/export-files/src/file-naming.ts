import { ExportType } from '@exports/contracts';

const TYPE_SLUG: Record<ExportType, string> = {
  [ExportType.Contacts]: 'contacts',
  [ExportType.DeliveryReports]: 'delivery-reports',
  [ExportType.MessageHistory]: 'message-history',
};

/**
 * `<type>-<yyyyMMdd'T'HHmmss'Z'>-<short id>.csv`, from the export's creation time
 * so every run of one export writes the same key (a repeated run replaces, never adds).
 */
export function exportFileName(type: ExportType, createdAt: Date, exportId: string): string {
  const stamp = createdAt.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return `${TYPE_SLUG[type]}-${stamp}-${exportId.replace(/-/g, '').slice(0, 8)}.csv`;
}

/** `<accountId>/<exportId>/<fileName>` (DESIGN.md §5). */
export function exportObjectKey(accountId: string, exportId: string, fileName: string): string {
  return `${accountId}/${exportId}/${fileName}`;
}
