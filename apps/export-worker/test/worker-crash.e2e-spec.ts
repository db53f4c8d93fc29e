import { CreatedAccount } from '@exports/database';
import { download, exportRow, sleep, TestStack } from '@exports/testing';

/** A worker killed in the middle of an export: JetStream redelivers, a new worker finishes it. */
describe('export-worker killed mid-export (e2e)', () => {
  const ROWS = 600_000;
  const stack = new TestStack({ apps: ['api-gateway', 'export-worker'] });
  let account: CreatedAccount;

  beforeAll(async () => {
    await stack.start();
    account = await stack.createAccount('big account');
    await stack.query(
      `INSERT INTO contacts (account_id, id, phone_number, email, first_name, last_name, list_ids, custom_fields, is_test, created_at, updated_at)
       SELECT $1, 'c-' || lpad(n::text, 7, '0'), '+3361' || lpad(n::text, 7, '0'), 'user' || n || '@example.com',
              'First' || n, 'Last' || n, ARRAY['list-' || (n % 10)], jsonb_build_object('n', n::text), n % 2 = 0,
              timestamptz '2026-01-01T00:00:00Z' + n * interval '1 second', timestamptz '2026-02-01T00:00:00Z'
       FROM generate_series(1, $2) AS n`,
      [account.accountId, ROWS],
    );
  });

  afterAll(() => stack.stop(), 60_000);

  it('completes with every row and a matching checksum after a SIGKILL and a restart', async () => {
    const created = await stack.http('POST', '/exports/contacts', { apiKey: account.apiKey, body: {} });
    expect(created.status).toBe(202);
    const exportId: string = created.body.exportId;

    // Kill the worker once the export shows progress, i.e. mid-stream.
    let progress = 0;
    const deadline = Date.now() + 60_000;
    while (progress === 0 && Date.now() < deadline) {
      progress = Number((await stack.query('SELECT rows_exported FROM exports WHERE id = $1', [exportId]))[0].rows_exported);
      if (progress === 0) await sleep(50);
    }
    expect(progress).toBeGreaterThan(0);
    expect(progress).toBeLessThan(ROWS);
    await stack.kill('export-worker', 'SIGKILL');

    const afterKill = await stack.findExport(account.apiKey, exportId);
    expect(afterKill.status).toBe('PENDING');
    expect(afterKill.progress.rowsExported).toBeGreaterThan(0);
    expect(await stack.storage.listKeys(`${account.accountId}/${exportId}/`)).toEqual([]);

    await stack.startApp('export-worker');
    const done = await stack.waitForExport(account.apiKey, exportId, 120_000);
    expect(done).toMatchObject({ status: 'COMPLETED', rowCount: ROWS });
    expect((await stack.query('SELECT attempts FROM exports WHERE id = $1', [exportId]))[0].attempts).toBe(2);

    const link = await stack.http('GET', `/exports/${exportId}`, { apiKey: account.apiKey });
    const file = await download(link.body.downloadUrl);
    expect(file).toMatchObject({ status: 200, sizeBytes: done.sizeBytes, sha256: done.sha256, lines: ROWS + 1 });
    expect(file.firstDataLine).toBe(
      'c-0000001,+33610000001,user1@example.com,First1,Last1,,list-1,"{""n"": ""1""}",false,2026-01-01T00:00:01.000+00:00,2026-02-01T00:00:00.000+00:00',
    );
    expect(file.lastLine).toMatch(/^c-0600000,\+33610600000,/);
    expect(await stack.storage.listKeys(`${account.accountId}/${exportId}/`)).toEqual([(await exportRow(stack, exportId)).object_key]);
  }, 240_000);
});
