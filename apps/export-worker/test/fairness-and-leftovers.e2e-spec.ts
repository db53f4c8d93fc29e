import { CreatedAccount } from '@exports/database';
import { exportRow, insertContacts, TestStack, waitUntil } from '@exports/testing';

/**
 * One account's backlog does not starve another: each account runs at most
 * EXPORT_ACCOUNT_CONCURRENCY attempts at once, and a run over that share is handed back to the
 * bus without counting an attempt. And a run that ends FAILED leaves no object and no unfinished
 * multipart upload. The stack runs an S3 server of its own, which lists uploads in progress.
 */
describe('fairness between accounts, and failed runs leave nothing (e2e)', () => {
  const A_ROWS = 150_000;
  const stack = new TestStack({
    apps: ['api-gateway', 'export-worker'],
    ownS3: true,
    env: { EXPORT_CONCURRENCY: '2', EXPORT_ACCOUNT_CONCURRENCY: '1', EXPORT_MAX_OPEN_PER_ACCOUNT: '50', EXPORT_MAX_ATTEMPTS: '1', S3_PART_SIZE_MB: '5' },
  });
  let a: CreatedAccount;
  let b: CreatedAccount;

  beforeAll(async () => {
    await stack.start();
    a = await stack.createAccount('busy account');
    b = await stack.createAccount('small account');
    await insertContacts(stack, a.accountId, A_ROWS);
    await insertContacts(stack, b.accountId, 10);
  });

  afterAll(() => stack.stop(), 60_000);

  const request = async (account: CreatedAccount): Promise<string> => {
    const created = await stack.http('POST', '/exports/contacts', { apiKey: account.apiKey, body: {} });
    expect(created.status).toBe(202);
    return created.body.exportId;
  };

  it('starts although the local S3 server has no bucket lifecycle (logged once)', () => {
    const lines = stack.logsOf('export-worker').filter((line) => line.includes('Bucket lifecycle'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('not supported');
  });

  it("account A's backlog (more than the worker's concurrency) does not hold back account B's export", async () => {
    const backlog: string[] = [];
    for (let i = 0; i < 6; i++) backlog.push(await request(a));
    const small = await request(b);

    const done = await stack.waitForExport(b.apiKey, small, 120_000);
    expect(done).toMatchObject({ status: 'COMPLETED', rowCount: 10 });
    const aPending = await stack.query<{ n: number }>(`SELECT count(*)::int AS n FROM exports WHERE account_id = $1 AND status = 'PENDING'`, [a.accountId]);
    expect(aPending[0].n).toBeGreaterThan(0);

    for (const exportId of backlog) expect(await stack.waitForExport(a.apiKey, exportId, 180_000)).toMatchObject({ status: 'COMPLETED', rowCount: A_ROWS });
    // Runs handed back for being over the account's share counted no attempt.
    const rows = await stack.query<{ attempts: number; completed: Date }>(
      `SELECT attempts, completed_at AS completed FROM exports WHERE account_id = $1 ORDER BY completed_at`,
      [a.accountId],
    );
    expect(rows.map((row) => row.attempts)).toEqual(backlog.map(() => 1));
    const [bRow] = await stack.query<{ completed: Date }>(`SELECT completed_at AS completed FROM exports WHERE id = $1`, [small]);
    expect(bRow.completed.getTime()).toBeLessThan(rows[rows.length - 1].completed.getTime());
  });

  it('a run whose source fails mid-upload ends FAILED with no object and no upload in progress', async () => {
    const exportId = await request(a);
    const prefix = `${a.accountId}/${exportId}/`;
    // A part is uploaded (the multipart upload is under way) before the COPY's connection is cut.
    await waitUntil('upload in progress', async () => (await stack.storage.incompleteUploads(prefix)).length > 0, 120_000, 20);
    await stack.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY (%'`);

    const failed = await stack.waitForExport(a.apiKey, exportId, 60_000);
    expect(failed).toMatchObject({ status: 'FAILED', error: { code: 'SOURCE_UNAVAILABLE' } });
    expect(await exportRow(stack, exportId)).toMatchObject({ attempts: 1, object_key: null });
    expect(await stack.storage.incompleteUploads(prefix)).toEqual([]);
    expect(await stack.storage.listKeys(prefix)).toEqual([]);
  });
});
