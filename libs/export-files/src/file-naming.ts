import { ExportType, exportSlug } from '@exports/contracts';

/** Which part of how many a file is, when an export is split. */
export interface PartOf {
  part: number;
  of: number;
}

/**
 * `<type>-<yyyyMMdd'T'HHmmss'Z'>-<short id>.<extension>`, from the export's creation time, so every
 * run of one export offers the same download name; a part of a split export adds
 * `-part-<n>-of-<count>` before the extension.
 */
export function exportFileName(type: ExportType, createdAt: Date, exportId: string, extension = 'csv', part?: PartOf): string {
  const stamp = createdAt.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  const suffix = part ? `-part-${part.part}-of-${part.of}` : '';
  return `${exportSlug(type)}-${stamp}-${exportId.replace(/-/g, '').slice(0, 8)}${suffix}.${extension}`;
}

/**
 * `<accountId>/<exportId>/<run>/part-<n>.<extension>`: each run writes keys of its own, so clean-up
 * of one run (retention, a failed attempt) can never remove a file of another. Attempts of one run
 * share the keys: a repeated attempt replaces, never adds. The download name is the file name, given
 * by the link. Rows written before parts existed keep `<accountId>/<exportId>[/<run>]/<fileName>`;
 * the key of every file is stored per row.
 */
export function exportPartKey(accountId: string, exportId: string, run: number, part: number, extension: string): string {
  return `${accountId}/${exportId}/${run}/part-${part}.${extension}`;
}

/** Everything one run of the export may have written: its objects and any unfinished upload to them. */
export function exportRunPrefix(accountId: string, exportId: string, run: number): string {
  return `${accountId}/${exportId}/${run}/`;
}

/** Every object any run of the export may have written, whatever the layout. */
export function exportObjectPrefix(accountId: string, exportId: string): string {
  return `${accountId}/${exportId}/`;
}
