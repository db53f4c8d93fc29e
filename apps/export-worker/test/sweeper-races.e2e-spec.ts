import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreatedAccount } from '@exports/database';
import { download, insertContacts, sleep, TestStack, waitUntil } from '@exports/testing';

interface StoredFile {
  status: string;
  run: number;
  object_key: string | null;
  sha256: string | null;
  size_bytes: string | null;
  file_purged_at: Date | null;
  /** Seconds of retention left (negative once passed). */
  retention_left: number | null;
  /** Seconds the link has left. */
  link_left: number | null;
}

/**
 * The sweeper and regenerates race on the same exports: files are purged a few seconds after
 * they are written while customers re-run the exports as soon as they can. Each run writes a key
 * of its own and the sweeper deletes only the object the row it marked recorded, so no sweep
 * removes the file of a newer run. Then the record retention: old finished exports go, rows and files.
 */
describe('sweeper against regenerates (e2e)', () => {
  const EXPORTS = 8;
  const CYCLES = 4;
  const ROWS = 200;
  const stack = new TestStack({
    apps: ['api-gateway', 'export-worker'],
    env: {
      EXPORT_SWEEP_INTERVAL_SECONDS: '1',
      EXPORT_LINK_TTL_SECONDS: '3',
      EXPORT_RETENTION_SECONDS: '5',
      EXPORT_MAX_OPEN_PER_ACCOUNT: '50',
      EXPORT_ACCOUNT_CONCURRENCY: '4',
      RATE_LIMIT_REQUESTS: '100000',
    },
  });
  let account: CreatedAccount;
  const checks = { filesChecked: 0, reruns: 0, renewed: 0 };

  beforeAll(async () => {
    await stack.start();
    account = await stack.createAccount('racing account');
    await insertContacts(stack, account.accountId, ROWS);
  });

  afterAll(async () => {
    process.stdout.write(`sweeper-races: ${checks.filesChecked} files checked, ${checks.reruns} re-runs, ${checks.renewed} links renewed\n`);
    await stack.stop();
  }, 60_000);

  const stored = async (exportId: string): Promise<StoredFile> =>
    (
      await stack.query<StoredFile>(
        `SELECT status, run, object_key, sha256, size_bytes, file_purged_at, extract(epoch FROM file_expires_at - now())::float AS retention_left,
                extract(epoch FROM link_expires_at - now())::float AS link_left FROM exports WHERE id = $1`,
        [exportId],
      )
    )[0];

  /** A COMPLETED run whose retention has not passed has its own file, whole, and nobody marked it purged. */
  async function expectFileKept(exportId: string, run: number): Promise<void> {
    const row = await stored(exportId);
    expect(row).toMatchObject({ status: 'COMPLETED', run, file_purged_at: null });
    expect(row.object_key).toBe(`${account.accountId}/${exportId}/${run}/${row.object_key!.split('/').pop()}`);
    const link = await stack.http('GET', `/exports/${exportId}`, { apiKey: account.apiKey });
    expect(link.status).toBe(200);
    expect(link.body).toMatchObject({ exportId, status: 'COMPLETED', sha256: row.sha256 });
    const file = await download(link.body.downloadUrl);
    expect(file).toMatchObject({ status: 200, sha256: row.sha256, sizeBytes: Number(row.size_bytes), lines: ROWS + 1 });
    checks.filesChecked += 1;
  }

  /** Posts regenerate until it answers 202 (a new run), as a client that wants its file again would. */
  async function regenerateUntilRerun(exportId: string): Promise<void> {
    for (;;) {
      const answer = await stack.http('POST', `/exports/${exportId}`, { apiKey: account.apiKey });
      if (answer.status === 202) {
        checks.reruns += 1;
        return;
      }
      // 409: still PENDING (not ready), or changed by a concurrent sweep (read again).
      if (answer.status === 409) expect(['EXPORT_NOT_READY', 'EXPORT_CHANGED']).toContain(answer.body.code);
      else expect(answer).toMatchObject({ status: 200, body: { exportId, status: 'COMPLETED', downloadUrl: expect.any(String) } });
      if (answer.status === 200) checks.renewed += 1;
      await sleep(20);
    }
  }

  it('many regenerates of purged exports while the sweeper runs every second: every COMPLETED run keeps its file', async () => {
    const exportIds: string[] = [];
    for (let i = 0; i < EXPORTS; i++) {
      const created = await stack.http('POST', '/exports/contacts', { apiKey: account.apiKey, body: {} });
      expect(created.status).toBe(202);
      exportIds.push(created.body.exportId);
    }
    await Promise.all(
      exportIds.map(async (exportId) => {
        for (let run = 1; run <= CYCLES; run++) {
          // Checked as soon as the run is COMPLETED: well inside its link's 3 s (links are signed to the second).
          await waitUntil(`${exportId} run ${run} completed`, async () => {
            const row = await stored(exportId);
            return row.run === run && row.status === 'COMPLETED';
          }, 60_000, 20);
          const row = await stored(exportId);
          if ((row.link_left ?? 0) > 2) await expectFileKept(exportId, run);
          if (run < CYCLES) await regenerateUntilRerun(exportId);
        }
      }),
    );
    expect(checks.filesChecked).toBeGreaterThanOrEqual(EXPORTS);

    // Each export keeps one object at most: the file of the run before is removed when a run completes.
    for (const exportId of exportIds) {
      expect((await stack.storage.listKeys(`${account.accountId}/${exportId}/`)).length).toBeLessThanOrEqual(1);
    }
    // Once retention passes, the sweeper removes exactly the last run's object and marks it.
    await waitUntil('last files purged', async () => {
      const rows = await stack.query<{ n: number }>(`SELECT count(*)::int AS n FROM exports WHERE account_id = $1 AND file_purged_at IS NULL`, [account.accountId]);
      return rows[0].n === 0;
    });
    expect(await stack.storage.listKeys(`${account.accountId}/`)).toEqual([]);
  });

  it('a row of the earlier key layout is purged by the key it recorded; downloads of such a row work until then', async () => {
    const exportId = randomUUID();
    const objectKey = `${account.accountId}/${exportId}/contacts-legacy.csv`;
    await stack.storage.upload(objectKey, Readable.from(['id\r\nc-1\r\n']));
    await stack.query(
      `INSERT INTO exports (id, account_id, type, status, filters, timezone, created_at, updated_at, completed_at, link_expires_at, file_expires_at,
                            row_count, size_bytes, sha256, file_name, object_key)
       VALUES ($1, $2, 'CONTACTS', 'COMPLETED', '{}', 'UTC', now(), now(), now(), now() + interval '1 hour', now() + interval '1 hour', 1, 10, $3, 'contacts-legacy.csv', $4)`,
      [exportId, account.accountId, 'ab'.repeat(32), objectKey],
    );
    const link = await stack.http('GET', `/exports/${exportId}`, { apiKey: account.apiKey });
    expect(link.status).toBe(200);
    expect(await download(link.body.downloadUrl)).toMatchObject({ status: 200, sizeBytes: 9 });

    await stack.query(`UPDATE exports SET link_expires_at = now(), file_expires_at = now() WHERE id = $1`, [exportId]);
    await waitUntil('legacy file purged', async () => (await stored(exportId)).file_purged_at !== null);
    expect(await stack.storage.stat(objectKey)).toBeNull();
  });

  it('removes finished exports past the record retention, rows and files, and keeps the rest', async () => {
    const insert = async (status: string, daysAgo: number, withFile: boolean): Promise<{ id: string; key: string }> => {
      const id = randomUUID();
      const key = `${account.accountId}/${id}/1/contacts.csv`;
      if (withFile) await stack.storage.upload(key, Readable.from(['id\r\n']));
      await stack.query(
        `INSERT INTO exports (id, account_id, type, status, filters, timezone, created_at, updated_at, completed_at, file_expires_at, object_key, error_code, error_message)
         VALUES ($1, $2, 'CONTACTS', $3, '{}', 'UTC', now() - make_interval(days => $4), now() - make_interval(days => $4),
                 CASE WHEN $3 = 'COMPLETED' THEN now() - make_interval(days => $4) END,
                 CASE WHEN $3 = 'COMPLETED' THEN now() - make_interval(days => $4) + interval '1 day' END,
                 CASE WHEN $3 = 'COMPLETED' THEN $5 END,
                 CASE WHEN $3 = 'FAILED' THEN 'INTERNAL' END, CASE WHEN $3 = 'FAILED' THEN 'x' END)`,
        [id, account.accountId, status, daysAgo, key],
      );
      return { id, key };
    };
    // The default record retention is 90 days.
    const oldCompleted = await insert('COMPLETED', 100, true);
    // A FAILED run may have left an object under its run (storage was down when it failed).
    const oldFailed = await insert('FAILED', 91, true);
    const recent = await insert('COMPLETED', 30, true);
    const oldPending = await insert('PENDING', 100, false);

    await waitUntil('old records removed', async () => {
      const rows = await stack.query(`SELECT id FROM exports WHERE id = ANY($1)`, [[oldCompleted.id, oldFailed.id]]);
      return rows.length === 0;
    });
    expect(await stack.storage.listKeys(`${account.accountId}/${oldCompleted.id}/`)).toEqual([]);
    expect(await stack.storage.listKeys(`${account.accountId}/${oldFailed.id}/`)).toEqual([]);
    expect((await stack.query(`SELECT id FROM exports WHERE id = ANY($1)`, [[recent.id, oldPending.id]])).length).toBe(2);
    expect(stack.logsOf('export-worker').some((line) => line.includes('"message":"Sweep"') && /"recordsRemoved":[12]/.test(line))).toBe(true);
  });
});
