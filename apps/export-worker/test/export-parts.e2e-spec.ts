import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { CreatedAccount } from '@exports/database';
import { download, exportRow, insertContacts, TestStack, waitUntil } from '@exports/testing';

const CONTACTS_HEADER = 'id,phoneNumber,email,firstName,lastName,gender,listIds,customFields,isTest,createdAt,updatedAt\n';

interface ExportFile {
  part: number;
  fileName: string;
  rowCount: number;
  sizeBytes: number;
  sha256: string;
  downloadUrl: string;
}

/**
 * Split exports: a contacts export larger than `maxRowsPerFile` is several files, cut on rows,
 * each with its header, whose rows are those of the unsplit export in order; and a worker
 * SIGKILLed between two parts leaves, once the run is retried, exactly the parts of that run.
 */
describe('contacts export in parts (e2e)', () => {
  // A longer ack wait than the stacks' 5 s, as in the kill suite: the stall limit outlasts a busy machine.
  const stack = new TestStack({ apps: ['api-gateway', 'export-worker'], env: { EXPORT_MAX_OPEN_PER_ACCOUNT: '50', EXPORT_ACK_WAIT_SECONDS: '10' } });
  let small: CreatedAccount;
  let big: CreatedAccount;

  beforeAll(async () => {
    await stack.start();
    small = await stack.createAccount('2,500 contacts');
    big = await stack.createAccount('300,000 contacts');
    await insertContacts(stack, small.accountId, 2500);
    await insertContacts(stack, big.accountId, 300_000);
  }, 120_000);

  afterAll(() => stack.stop(), 60_000);

  async function requestExport(account: CreatedAccount, body: object): Promise<string> {
    const created = await stack.http('POST', '/exports/contacts', { apiKey: account.apiKey, body });
    expect(created.status).toBe(202);
    return created.body.exportId;
  }

  /** Waits for COMPLETED and answers the export's files with their links. */
  async function completedFiles(account: CreatedAccount, exportId: string, timeoutMs = 60_000): Promise<{ done: any; files: ExportFile[] }> {
    const done = await stack.waitForExport(account.apiKey, exportId, timeoutMs);
    expect(done.status).toBe('COMPLETED');
    const detail = await stack.http('GET', `/exports/${exportId}`, { apiKey: account.apiKey });
    expect(detail.status).toBe(200);
    return { done, files: detail.body.files };
  }

  /** The bytes of a file through its link, checked against its size and SHA-256. */
  async function fetchFile(file: ExportFile): Promise<Buffer> {
    const bytes = Buffer.from(await (await fetch(file.downloadUrl)).arrayBuffer());
    expect(bytes.length).toBe(file.sizeBytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    return bytes;
  }

  it('2,500 contacts at 1,000 rows a file: 3 parts, each with the header, whose rows are the unsplit export in order', async () => {
    const whole = await completedFiles(small, await requestExport(small, {}));
    expect(whole.files).toHaveLength(1);
    const unsplit = (await fetchFile(whole.files[0])).toString();

    const exportId = await requestExport(small, { maxRowsPerFile: 1000 });
    const { done, files } = await completedFiles(small, exportId);
    expect(done).toMatchObject({ rowCount: 2500, maxRowsPerFile: 1000 });
    expect(done.sizeBytes).toBe(files.reduce((sum, file) => sum + file.sizeBytes, 0));
    expect(files.map(({ part, rowCount }) => [part, rowCount])).toEqual([[1, 1000], [2, 1000], [3, 500]]);
    expect(files.map((file) => file.fileName)).toEqual([1, 2, 3].map((n) => expect.stringMatching(new RegExp(`^contacts-\\d{8}T\\d{6}Z-[0-9a-f]{8}-part-${n}-of-3\\.csv$`))));
    const bodies = await Promise.all(files.map(async (file) => (await fetchFile(file)).toString()));
    for (const body of bodies) expect(body.startsWith(CONTACTS_HEADER)).toBe(true);
    expect(bodies.map((body) => body.slice(CONTACTS_HEADER.length)).join('')).toBe(unsplit.slice(CONTACTS_HEADER.length));
    expect(bodies[1].slice(CONTACTS_HEADER.length)).toMatch(/^c-0001001,/);
    // Exactly the three parts are stored, under the run's keys.
    expect(await stack.storage.listKeys(`${small.accountId}/${exportId}/`)).toEqual([1, 2, 3].map((n) => `${small.accountId}/${exportId}/1/part-${n}.csv`));
  });

  it('jsonl.gz in parts: each part a gzip of whole lines, typed values, every contact once in order', async () => {
    const { files } = await completedFiles(small, await requestExport(small, { format: 'jsonl.gz', maxRowsPerFile: 1000, columns: ['id', 'listIds', 'customFields', 'isTest'] }));
    expect(files.map((file) => file.rowCount)).toEqual([1000, 1000, 500]);
    const lines = (await Promise.all(files.map(async (file) => gunzipSync(await fetchFile(file)).toString())))
      .map((text) => {
        expect(text.endsWith('\n')).toBe(true);
        return text.slice(0, -1).split('\n');
      })
      .flat()
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(2500);
    expect(lines.map((line) => line.id)).toEqual(Array.from({ length: 2500 }, (_, i) => `c-${String(i + 1).padStart(7, '0')}`));
    expect(lines[41]).toEqual({ id: 'c-0000042', listIds: ['list-2'], customFields: { n: '42' }, isTest: true });
  });

  it('a worker SIGKILLed between two parts: the retried attempt ends COMPLETED with exactly its 3 parts', async () => {
    const exportId = await requestExport(big, { maxRowsPerFile: 100_000 });
    const prefix = `${big.accountId}/${exportId}/`;
    const key = (n: number) => `${prefix}1/part-${n}.csv`;
    await waitUntil('the first part stored', async () => (await stack.storage.listKeys(prefix)).includes(key(1)), 120_000, 25);
    const [worker] = stack.instances('export-worker');
    expect((await stack.killInstance(worker, 'SIGKILL')).signal).toBe('SIGKILL');
    // Killed before the last part was stored, with the export still PENDING.
    expect(await stack.storage.listKeys(prefix)).not.toContain(key(3));
    expect(await exportRow(stack, exportId)).toMatchObject({ status: 'PENDING', attempts: 1 });

    await stack.startApp('export-worker');
    const { done, files } = await completedFiles(big, exportId, 120_000);
    expect(done.rowCount).toBe(300_000);
    expect(files.map(({ part, rowCount }) => [part, rowCount])).toEqual([[1, 100_000], [2, 100_000], [3, 100_000]]);
    expect((await exportRow(stack, exportId)).attempts).toBe(2);
    // Nothing of the killed attempt is left beside them.
    expect(await stack.storage.listKeys(prefix)).toEqual([key(1), key(2), key(3)]);
    const downloaded = await Promise.all(files.map((file) => download(file.downloadUrl)));
    downloaded.forEach((file, index) => {
      expect(file).toMatchObject({ status: 200, sha256: files[index].sha256, sizeBytes: files[index].sizeBytes, lines: 100_001 });
      expect(file.firstDataLine).toMatch(new RegExp(`^c-${String(index * 100_000 + 1).padStart(7, '0')},`));
      expect(file.lastLine).toMatch(new RegExp(`^c-${String((index + 1) * 100_000).padStart(7, '0')},`));
    });
  });
});
