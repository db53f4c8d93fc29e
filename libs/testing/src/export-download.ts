import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { spreadsheetSafe } from '@exports/export-files';
import { TestStack } from './test-stack';

/** One file of a COMPLETED export as downloaded through its link: its text (decompressed for .gz) and content type. */
export interface DownloadedExportFile {
  text: string;
  contentType: string | null;
}

/**
 * GET /exports/{exportId} of a COMPLETED export, then every file through its link, each checked
 * against the size and SHA-256 the export lists for it (the bytes as stored, gzip ones included).
 */
export async function downloadExport(stack: TestStack, apiKey: string, exportId: string): Promise<{ detail: any; files: DownloadedExportFile[] }> {
  const detail = (await stack.http('GET', `/exports/${exportId}`, { apiKey })).body;
  if (detail.status !== 'COMPLETED') throw new Error(`export ${exportId} is ${detail.status}`);
  const files = await Promise.all(
    (detail.files as Array<{ downloadUrl: string; sizeBytes: number; sha256: string; fileName: string }>).map(async (file) => {
      const response = await fetch(file.downloadUrl);
      const bytes = Buffer.from(await response.arrayBuffer());
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (bytes.length !== file.sizeBytes || sha256 !== file.sha256) throw new Error(`${file.fileName}: ${bytes.length} bytes, sha256 ${sha256}; listed ${file.sizeBytes}, ${file.sha256}`);
      const gzip = file.fileName.endsWith('.gz');
      if (gzip && (bytes[0] !== 0x1f || bytes[1] !== 0x8b)) throw new Error(`${file.fileName} is not a gzip file`);
      return { text: (gzip ? gunzipSync(bytes) : bytes).toString('utf8'), contentType: response.headers.get('content-type') };
    }),
  );
  return { detail, files };
}

/** JSON Lines as objects, one per line; every line must end with LF. */
export function jsonLineObjects(text: string): Record<string, unknown>[] {
  if (text !== '' && !text.endsWith('\n')) throw new Error('a JSON Lines file must end with a newline');
  return text.split('\n').slice(0, -1).map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * The CSV cell a JSON Lines value stands for: text made spreadsheet-safe, null empty, numbers and
 * booleans as written, a list joined with `;`, an object as compact JSON (compare the CSV's parsed).
 */
export function csvCellOf(value: unknown): string {
  if (value === null) return '';
  if (typeof value === 'string') return spreadsheetSafe(value);
  if (Array.isArray(value)) return spreadsheetSafe(value.join(';'));
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
