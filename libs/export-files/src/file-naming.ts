import { ExportType, exportSlug } from '@exports/contracts';

/**
 * `<type>-<yyyyMMdd'T'HHmmss'Z'>-<short id>.csv`, from the export's creation time, so every
 * run of one export offers the same download name.
 */
export function exportFileName(type: ExportType, createdAt: Date, exportId: string): string {
  const stamp = createdAt.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return `${exportSlug(type)}-${stamp}-${exportId.replace(/-/g, '').slice(0, 8)}.csv`;
}

/**
 * `<accountId>/<exportId>/<run>/<fileName>`: each run writes a key of its own, so clean-up of
 * one run (retention, a failed attempt) can never remove the file of another. Attempts of one
 * run share the key: a repeated attempt replaces, never adds. Rows written before runs had
 * keys of their own keep `<accountId>/<exportId>/<fileName>`; the key is stored per row.
 */
export function exportObjectKey(accountId: string, exportId: string, run: number, fileName: string): string {
  return `${accountId}/${exportId}/${run}/${fileName}`;
}

/** Everything one run of the export may have written: its object and any unfinished upload to it. */
export function exportRunPrefix(accountId: string, exportId: string, run: number): string {
  return `${accountId}/${exportId}/${run}/`;
}

/** Every object any run of the export may have written, whatever the layout. */
export function exportObjectPrefix(accountId: string, exportId: string): string {
  return `${accountId}/${exportId}/`;
}
