import { DataSource } from 'typeorm';
import { AccountsRepository, hashApiKey } from './accounts.repository';
import { openDatabase } from './data-source';
import { scratchDatabase } from './testing/scratch-database';

/** API keys against the real PostgreSQL, on a database of this file's own: stored hashed, scoped, revocable. */
describe('AccountsRepository (PostgreSQL)', () => {
  const database = scratchDatabase('acct');
  const { url } = database;
  let dataSource: DataSource;
  let accounts: AccountsRepository;

  beforeAll(async () => {
    dataSource = await openDatabase(url, 2);
    accounts = new AccountsRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database.drop();
  });

  it('stores only the SHA-256 of a key, and finds the account by the key', async () => {
    const { accountId, apiKey } = await accounts.createAccount('keys');
    const rows: Array<{ key_hash: string; key_prefix: string }> = await dataSource.query(`SELECT key_hash, key_prefix FROM api_keys WHERE account_id = $1`, [accountId]);
    expect(rows).toEqual([{ key_hash: hashApiKey(apiKey), key_prefix: apiKey.slice(0, rows[0].key_prefix.length) }]);
    expect(JSON.stringify(await dataSource.query(`SELECT * FROM api_keys`))).not.toContain(apiKey);
    expect(await accounts.accountIdForKey(apiKey)).toBe(accountId);
  });

  it('gives each account its own keys, several per account', async () => {
    const first = await accounts.createAccount('first');
    const second = await accounts.createAccount('second');
    const another = await accounts.createApiKey(first.accountId);
    expect(await accounts.accountIdForKey(another)).toBe(first.accountId);
    expect(await accounts.accountIdForKey(second.apiKey)).toBe(second.accountId);
  });

  it('refuses unknown, malformed, oversized and revoked keys', async () => {
    const { apiKey } = await accounts.createAccount('revoked');
    const changed = apiKey.slice(0, -1) + (apiKey.endsWith('x') ? 'y' : 'x');
    expect(await accounts.accountIdForKey(changed)).toBeNull();
    expect(await accounts.accountIdForKey('not-a-key')).toBeNull();
    expect(await accounts.accountIdForKey(apiKey + 'a'.repeat(300))).toBeNull();
    await dataSource.query(`UPDATE api_keys SET revoked_at = now() WHERE key_hash = $1`, [hashApiKey(apiKey)]);
    expect(await accounts.accountIdForKey(apiKey)).toBeNull();
  });
});
