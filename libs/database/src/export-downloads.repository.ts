import { randomUUID } from 'node:crypto';
import { ExportEntity } from './entities/export.entity';
import { toExportEntity } from './exports.repository';
import { SqlRepository } from './sql-repository';

/** Who asked for a download, as the gateway saw the request. Never the link. */
export interface Downloader {
  apiKeyId: string;
  /** An IP address, or null when the request's address is not one. */
  clientIp: string | null;
  /** Already cleaned and bounded by the caller; null when none was sent. */
  userAgent: string | null;
}

/** One download record as stored. */
export interface ExportDownloadRecord {
  id: string;
  downloadedAt: Date;
  apiKeyId: string;
  part: number;
  clientIp: string | null;
  userAgent: string | null;
}

/** A download of one file of one run of an export, with who asked for it. */
export interface DownloadRequest {
  exportId: string;
  run: number;
  part: number;
  downloader: Downloader;
}

/**
 * The download audit of the exports, as an account sees it: every statement filters on the
 * account. Records are removed only with their export (ON DELETE CASCADE: record retention, the
 * admin CLI's account purge); retention of files never touches them.
 */
export class ExportDownloadsRepository extends SqlRepository {
  /**
   * Records a download and counts it on the export, in one statement, only while the export can
   * be downloaded: COMPLETED in `run`, its link not passed, its file not purged. Returns the export
   * as the change left it, or null when it no longer reads so (nothing is recorded then).
   */
  async record(accountId: string, request: DownloadRequest): Promise<ExportEntity | null> {
    const { downloader } = request;
    const rows = await this.rows(
      `WITH counted AS (
         UPDATE exports SET download_count = download_count + 1, last_downloaded_at = now()
         WHERE account_id = $1 AND id = $2 AND run = $3 AND status = 'COMPLETED' AND link_expires_at > now() AND file_purged_at IS NULL
         RETURNING *
       ), recorded AS (
         INSERT INTO export_downloads (id, export_id, account_id, api_key_id, part, client_ip, user_agent, downloaded_at)
         SELECT $4::uuid, id, account_id, $5::uuid, $6::int, $7::inet, $8::text, last_downloaded_at FROM counted
       )
       SELECT * FROM counted`,
      [accountId, request.exportId, request.run, randomUUID(), downloader.apiKeyId, request.part, downloader.clientIp, downloader.userAgent],
    );
    return rows[0] ? toExportEntity(rows[0]) : null;
  }

  /** One page of an export's records, newest first, and how many it has; null for no such export of the account. */
  async list(accountId: string, exportId: string, page: { page: number; limit: number }): Promise<{ items: ExportDownloadRecord[]; totalItems: number } | null> {
    // The export's count is its number of records: both are written by one statement, and records go only with their export.
    const found = await this.rows<{ total: number }>(`SELECT download_count AS total FROM exports WHERE account_id = $1 AND id = $2`, [accountId, exportId]);
    if (!found[0]) return null;
    const items = await this.rows<ExportDownloadRecord>(
      `SELECT id, downloaded_at AS "downloadedAt", api_key_id AS "apiKeyId", part, host(client_ip) AS "clientIp", user_agent AS "userAgent"
       FROM export_downloads WHERE account_id = $1 AND export_id = $2
       ORDER BY downloaded_at DESC, id DESC LIMIT $3 OFFSET $4`,
      [accountId, exportId, page.limit, page.page * page.limit],
    );
    return { items, totalItems: found[0].total };
  }
}
