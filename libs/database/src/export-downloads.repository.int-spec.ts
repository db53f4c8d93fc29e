import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ExportFormat, ExportType } from '@exports/contracts';
import { AccountsRepository } from './accounts.repository';
import { openDatabase } from './data-source';
import { Downloader, ExportDownloadsRepository } from './export-downloads.repository';
import { ExportsRepository } from './exports.repository';
import { scratchDatabase } from './testing/scratch-database';

/**
 * The download audit against the real PostgreSQL: a download is recorded and counted in one
 * statement only while the export is COMPLETED in the run read, never for another account, and
 * the records are paged newest first within the account.
 */
describe('ExportDownloadsRepository (PostgreSQL)', () => {
  const database = scratchDatabase('downloads');
  let dataSource: DataSource;
  let exports: ExportsRepository;
  let downloads: ExportDownloadsRepository;
  let accountId: string;
  let keyId: string;
  let downloader: Downloader;

  beforeAll(async () => {
    dataSource = await openDatabase(database.url, 4);
    exports = new ExportsRepository(dataSource);
    downloads = new ExportDownloadsRepository(dataSource);
    accountId = (await new AccountsRepository(dataSource).createAccount('downloads test')).accountId;
    keyId = (await dataSource.query(`SELECT id FROM api_keys WHERE account_id = $1`, [accountId]))[0].id;
    downloader = { apiKeyId: keyId, clientIp: '2001:db8::7', userAgent: 'curl/8.5.0' };
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database.drop();
  });

  /** A COMPLETED export of one run, its link valid for `linkTtlSeconds`. */
  async function completed(linkTtlSeconds = 60): Promise<string> {
    const { record } = await exports.create(accountId, { type: ExportType.Contacts, filters: {}, timezone: 'UTC', output: { format: ExportFormat.Csv, columns: null, maxRowsPerFile: 10 } }, 100);
    const files = [{ part: 1, rowCount: 1, sizeBytes: 10, sha256: 'ab'.repeat(32), fileName: 'contacts.csv', objectKey: `k/${record!.id}` }];
    expect(await exports.complete(accountId, record!.id, 1, { files, linkTtlSeconds, retentionSeconds: 3600 })).toBe(true);
    return record!.id;
  }

  const row = async (exportId: string) => (await dataSource.query(`SELECT download_count, last_downloaded_at FROM exports WHERE id = $1`, [exportId]))[0];

  it('records and counts in one statement, at the same time, and gives the export as it then reads', async () => {
    const exportId = await completed();
    const recorded = await downloads.record(accountId, { exportId, run: 1, part: 1, downloader });
    expect(recorded).toMatchObject({ id: exportId, downloadCount: 1, lastDownloadedAt: expect.any(Date) });
    const page = await downloads.list(accountId, exportId, { page: 0, limit: 10 });
    expect(page).toEqual({ totalItems: 1, items: [{ id: expect.any(String), downloadedAt: recorded!.lastDownloadedAt, apiKeyId: keyId, part: 1, clientIp: '2001:db8::7', userAgent: 'curl/8.5.0' }] });
  });

  it('records nothing for another run, another account, a passed link, a purged file or a PENDING export', async () => {
    const exportId = await completed();
    expect(await downloads.record(accountId, { exportId, run: 2, part: 1, downloader })).toBeNull();
    expect(await downloads.record(randomUUID(), { exportId, run: 1, part: 1, downloader })).toBeNull();
    await dataSource.query(`UPDATE exports SET file_purged_at = now() WHERE id = $1`, [exportId]);
    expect(await downloads.record(accountId, { exportId, run: 1, part: 1, downloader })).toBeNull();
    await dataSource.query(`UPDATE exports SET file_purged_at = NULL, link_expires_at = now() - interval '1 second' WHERE id = $1`, [exportId]);
    expect(await downloads.record(accountId, { exportId, run: 1, part: 1, downloader })).toBeNull();
    await dataSource.query(`UPDATE exports SET status = 'PENDING', link_expires_at = now() + interval '1 hour' WHERE id = $1`, [exportId]);
    expect(await downloads.record(accountId, { exportId, run: 1, part: 1, downloader })).toBeNull();
    expect(await row(exportId)).toEqual({ download_count: 0, last_downloaded_at: null });
    expect(await downloads.list(accountId, exportId, { page: 0, limit: 10 })).toEqual({ items: [], totalItems: 0 });
  });

  it('pages newest first, within the account only', async () => {
    const exportId = await completed();
    for (const part of [1, 2, 3]) await downloads.record(accountId, { exportId, run: 1, part, downloader: { ...downloader, clientIp: null, userAgent: null } });
    const first = await downloads.list(accountId, exportId, { page: 0, limit: 2 });
    const second = await downloads.list(accountId, exportId, { page: 1, limit: 2 });
    expect(first!.totalItems).toBe(3);
    expect([...first!.items, ...second!.items].map((item) => item.part)).toEqual([3, 2, 1]);
    expect(second!.items[0]).toMatchObject({ clientIp: null, userAgent: null });
    expect(await downloads.list(randomUUID(), exportId, { page: 0, limit: 2 })).toBeNull();
    expect(await downloads.list(accountId, randomUUID(), { page: 0, limit: 2 })).toBeNull();
  });

  it('goes with its export, and refuses a user agent over 512 characters', async () => {
    const exportId = await completed();
    await downloads.record(accountId, { exportId, run: 1, part: 1, downloader });
    await expect(downloads.record(accountId, { exportId, run: 1, part: 1, downloader: { ...downloader, userAgent: 'x'.repeat(513) } })).rejects.toThrow(/user_agent/);
    expect(await row(exportId)).toMatchObject({ download_count: 1 });
    await dataSource.query(`DELETE FROM exports WHERE id = $1`, [exportId]);
    expect(await dataSource.query(`SELECT count(*)::int AS n FROM export_downloads WHERE export_id = $1`, [exportId])).toEqual([{ n: 0 }]);
  });
});
