import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { accountSubject, Subjects } from '@exports/contracts';
import { reservedRangePort, TestStack, waitUntil } from '@exports/testing';

/**
 * Two gateways that keep valid keys in their key cache for a minute: a key revoked with the
 * admin CLI is refused by both on the very next request (the CLI tells them over NATS), while a
 * change made behind their back is not seen before the cache entry expires.
 */
describe('API key revocation across gateways (e2e)', () => {
  const ADMIN = resolve(__dirname, '../../../dist/tools/admin/main.js');
  const stack = new TestStack({ apps: ['api-gateway'], env: { API_KEY_CACHE_TTL_MS: '60000' } });
  let second: string;
  let gateways: string[];

  function admin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = { ...stack.env, PATH: process.env.PATH ?? '', NATS_NKEY_SEED_FILE: stack.nkeySeedFile('admin') };
    return new Promise((done) => {
      execFile(process.execPath, [ADMIN, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      });
    });
  }

  async function adminJson(...args: string[]): Promise<any> {
    const run = await admin(...args);
    if (run.code !== 0) throw new Error(`admin ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return JSON.parse(run.stdout.trim().split('\n')[0]);
  }

  /** The status each gateway answers GET /exports with this key, in gateway order. */
  const statuses = async (apiKey: string) => Promise.all(gateways.map(async (baseUrl) => (await stack.http('GET', '/exports', { apiKey, baseUrl })).status));

  const keyIdOf = async (apiKey: string, accountId: string): Promise<string> => {
    const run = await admin('key:list', '--account', accountId);
    if (run.code !== 0) throw new Error(`admin key:list exited ${run.code}: ${run.stderr}`);
    const listed = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: string; prefix: string });
    return listed.find((key) => apiKey.startsWith(key.prefix))!.id;
  };

  beforeAll(async () => {
    if (!existsSync(ADMIN)) throw new Error(`${ADMIN} is missing: run "npm run build" first`);
    await stack.start();
    const port = await reservedRangePort();
    await stack.startApp('api-gateway', { PORT: String(port) });
    second = `http://127.0.0.1:${port}`;
    gateways = [stack.baseUrl, second];
  }, 120_000);

  afterAll(() => stack.stop(), 60_000);

  it('key:revoke: the next request with the key is a 401 on both gateways; the account\'s other key still works', async () => {
    const account = await stack.createAccount('revoked on both');
    const other = await adminJson('key:create', '--account', account.accountId);
    // Both gateways now hold both keys in their cache.
    expect(await statuses(account.apiKey)).toEqual([200, 200]);
    expect(await statuses(other.apiKey)).toEqual([200, 200]);

    const keyId = await keyIdOf(account.apiKey, account.accountId);
    const revoked = await adminJson('key:revoke', '--key-id', keyId);
    expect(revoked).toMatchObject({ id: keyId, revokedAt: expect.any(String) });

    expect(await statuses(account.apiKey)).toEqual([401, 401]);
    expect(await statuses(other.apiKey)).toEqual([200, 200]);
    const refused = await stack.http('GET', '/exports', { apiKey: account.apiKey, baseUrl: second });
    expect(refused.body).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('account:purge: the deleted keys are refused on both gateways at once', async () => {
    const account = await stack.createAccount('purged');
    expect(await statuses(account.apiKey)).toEqual([200, 200]);
    await adminJson('account:purge', '--account', account.accountId);
    expect(await statuses(account.apiKey)).toEqual([401, 401]);
  });

  it('a key created after a refused lookup is accepted at once (unknown keys are not cached)', async () => {
    const account = await stack.createAccount('new key');
    const unknown = `exk_${'A'.repeat(43)}`;
    expect(await statuses(unknown)).toEqual([401, 401]);
    const created = await adminJson('key:create', '--account', account.accountId);
    expect(await statuses(created.apiKey)).toEqual([200, 200]);
  });

  it('a revocation written straight to the database, without the broadcast, is not seen while the key is cached', async () => {
    const account = await stack.createAccount('behind their back');
    expect(await statuses(account.apiKey)).toEqual([200, 200]);
    await stack.query(`UPDATE api_keys SET revoked_at = now() WHERE account_id = $1`, [account.accountId]);
    // What the broadcast is for: within API_KEY_CACHE_TTL_MS (60 s here), the cached key still passes.
    expect(await statuses(account.apiKey)).toEqual([200, 200]);
    // Running key:revoke again (it says "already revoked") tells the gateways all the same.
    const keyId = await keyIdOf(account.apiKey, account.accountId);
    const again = await admin('key:revoke', '--key-id', keyId);
    expect(again).toMatchObject({ code: 0 });
    expect(again.stderr).toContain('already revoked');
    expect(await statuses(account.apiKey)).toEqual([401, 401]);
  });

  it('a revocation it cannot read (NUL byte, huge number, 5,000-deep JSON, invalid UTF-8) makes every gateway forget its whole cache, and they go on serving', async () => {
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const admin = await stack.connectAs('admin');
    try {
      for (const [name, payload] of [
        ['NUL byte', (accountId: string) => JSON.stringify({ accountId, keyIds: ['0000\u0000-0000'] })],
        ['huge number', (accountId: string) => JSON.stringify({ accountId, keyIds: [1e308] }).replace('1e+308', '9'.repeat(400))],
        ['5,000-deep JSON', () => deep],
        ['invalid UTF-8', () => Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
      ] as const) {
        // A key each gateway has cached, then revoked behind their back: only a cleared cache refuses it.
        const account = await stack.createAccount(`unreadable revocation: ${name}`);
        expect(await statuses(account.apiKey)).toEqual([200, 200]);
        await stack.query(`UPDATE api_keys SET revoked_at = now() WHERE account_id = $1`, [account.accountId]);
        expect(await statuses(account.apiKey)).toEqual([200, 200]);
        admin.publish(stack.namespace.subject(accountSubject(Subjects.auth.apiKeysRevoked, account.accountId)), payload(account.accountId));
        await admin.flush();
        await waitUntil(`both gateways forgot their cache after the ${name}`, async () => (await statuses(account.apiKey)).every((status) => status === 401), 10_000);
        const other = await stack.createAccount(`still served after the ${name}`);
        expect(await statuses(other.apiKey)).toEqual([200, 200]);
      }
    } finally {
      await admin.close();
    }
  });
});
