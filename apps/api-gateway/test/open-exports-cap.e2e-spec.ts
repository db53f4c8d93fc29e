import { randomUUID } from 'node:crypto';
import { TestStack } from '@exports/testing';

/**
 * The cap on unfinished exports holds under concurrency: requests of one account are counted one
 * after the other (a per-account lock), and a re-run counts as one more unfinished export.
 */
describe('open-exports cap under concurrency (e2e)', () => {
  const CAP = 5;
  // No worker: accepted exports stay PENDING, so the cap is reached on purpose.
  const stack = new TestStack({ apps: ['api-gateway'], env: { EXPORT_MAX_OPEN_PER_ACCOUNT: String(CAP) } });

  beforeAll(() => stack.start());
  afterAll(() => stack.stop(), 60_000);

  const pending = async (accountId: string) =>
    (await stack.query<{ n: number }>(`SELECT count(*)::int AS n FROM exports WHERE account_id = $1 AND status = 'PENDING'`, [accountId]))[0].n;

  it('30 requests at once: exactly the cap is accepted, the rest get 429 with retryAfter', async () => {
    const { accountId, apiKey } = await stack.createAccount('concurrent');
    // All 30 are sent before any answer is read.
    const answers = await Promise.all(Array.from({ length: 30 }, () => stack.http('POST', '/exports/contacts', { apiKey, body: {} })));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 202)).toHaveLength(CAP);
    expect(statuses.filter((status) => status === 429)).toHaveLength(30 - CAP);
    for (const refused of answers.filter((answer) => answer.status === 429)) {
      expect(refused.body).toMatchObject({ status: 429, error: 'Too Many Requests', code: 'TOO_MANY_OPEN_EXPORTS', retryAfter: 5 });
      expect(refused.body.message).toContain(`(limit ${CAP})`);
    }
    expect(await pending(accountId)).toBe(CAP);
  });

  it('a re-run (POST /exports/{id} on a FAILED export) is refused with the same 429 when the account is at its cap', async () => {
    const { accountId, apiKey } = await stack.createAccount('rerun at cap');
    const failedId = randomUUID();
    await stack.query(
      `INSERT INTO exports (id, account_id, type, status, filters, timezone, attempts, error_code, error_message, created_at, updated_at)
       VALUES ($1, $2, 'CONTACTS', 'FAILED', '{}', 'UTC', 3, 'TIMEOUT', 'gave up', now(), now())`,
      [failedId, accountId],
    );
    for (let i = 0; i < CAP; i++) expect((await stack.http('POST', '/exports/contacts', { apiKey, body: {} })).status).toBe(202);

    const refused = await stack.http('POST', `/exports/${failedId}`, { apiKey });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ status: 429, error: 'Too Many Requests', code: 'TOO_MANY_OPEN_EXPORTS', retryAfter: 5 });
    expect(refused.body.message).toBe(`The account already has ${CAP} unfinished exports (limit ${CAP}); wait for one to finish`);
    expect((await stack.query(`SELECT status, run FROM exports WHERE id = $1`, [failedId]))[0]).toEqual({ status: 'FAILED', run: 1 });
    expect(await pending(accountId)).toBe(CAP);
    // GET answers the FAILED export as it is, with its error.
    const failed = await stack.http('GET', `/exports/${failedId}`, { apiKey });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ exportId: failedId, status: 'FAILED', isAvailableForDownload: false, error: { code: 'TIMEOUT', message: 'gave up' } });

    // Below the cap, the same re-run is accepted: the export is PENDING in its second run.
    await stack.query(`UPDATE exports SET status = 'FAILED', error_code = 'INTERNAL', error_message = 'x' WHERE id = (SELECT id FROM exports WHERE account_id = $1 AND status = 'PENDING' LIMIT 1)`, [
      accountId,
    ]);
    const accepted = await stack.http('POST', `/exports/${failedId}`, { apiKey });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ exportId: failedId, status: 'PENDING' });
    expect(await pending(accountId)).toBe(CAP);

    // Now PENDING: GET answers it with its progress; a regenerate is refused until it is done.
    const read = await stack.http('GET', `/exports/${failedId}`, { apiKey });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ exportId: failedId, status: 'PENDING', isAvailableForDownload: false, progress: { rowsExported: 0 } });
    expect(read.body.error).toBeUndefined();
    expect(read.body.downloadUrl).toBeUndefined();
    const early = await stack.http('POST', `/exports/${failedId}`, { apiKey });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ status: 409, error: 'Conflict', code: 'EXPORT_NOT_READY', exportStatus: 'PENDING' });
    expect((await stack.query(`SELECT status, run FROM exports WHERE id = $1`, [failedId]))[0]).toEqual({ status: 'PENDING', run: 2 });
  });

  it('concurrent re-runs and creates together never pass the cap', async () => {
    const { accountId, apiKey } = await stack.createAccount('mixed');
    const failed = Array.from({ length: 10 }, () => randomUUID());
    for (const id of failed) {
      await stack.query(
        `INSERT INTO exports (id, account_id, type, status, filters, timezone, error_code, error_message, created_at, updated_at)
         VALUES ($1, $2, 'CONTACTS', 'FAILED', '{}', 'UTC', 'INTERNAL', 'x', now(), now())`,
        [id, accountId],
      );
    }
    const answers = await Promise.all([
      ...failed.map((id) => stack.http('POST', `/exports/${id}`, { apiKey })),
      ...Array.from({ length: 10 }, () => stack.http('POST', '/exports/contacts', { apiKey, body: {} })),
    ]);
    expect(answers.filter((answer) => answer.status === 202)).toHaveLength(CAP);
    expect(answers.filter((answer) => answer.status === 429)).toHaveLength(20 - CAP);
    expect(await pending(accountId)).toBe(CAP);
  });
});
