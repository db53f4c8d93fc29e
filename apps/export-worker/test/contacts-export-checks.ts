import { CreatedAccount } from '@exports/database';
import { download, DownloadedFile, exportRow, TestStack } from '@exports/testing';

/** Requests an export of every contact of the account, checks it was accepted, and adds its id to `requested`. */
export async function requestContactsExport(stack: TestStack, account: CreatedAccount, requested: string[]): Promise<string> {
  const created = await stack.http('POST', '/exports/contacts', { apiKey: account.apiKey, body: {} });
  expect(created.status).toBe(202);
  requested.push(created.body.exportId);
  return created.body.exportId;
}

/**
 * Waits for COMPLETED with `rows` rows, downloads the file through its link and checks its
 * checksum, size and line count, and that it is the only object under the export's prefix (at the key its row records).
 */
export async function expectStoredFile(
  stack: TestStack,
  account: CreatedAccount,
  exportId: string,
  rows: number,
  timeoutMs = 90_000,
): Promise<{ done: any; file: DownloadedFile }> {
  const done = await stack.waitForExport(account.apiKey, exportId, timeoutMs);
  expect(done).toMatchObject({ status: 'COMPLETED', rowCount: rows });
  const link = await stack.http('GET', `/exports/${exportId}`, { apiKey: account.apiKey });
  expect(link.status).toBe(200);
  const file = await download(link.body.downloadUrl);
  expect(file).toMatchObject({ status: 200, sha256: done.sha256, sizeBytes: done.sizeBytes, lines: rows + 1 });
  expect(await stack.storage.listKeys(`${account.accountId}/${exportId}/`)).toEqual([(await exportRow(stack, exportId)).object_key]);
  return { done, file };
}
