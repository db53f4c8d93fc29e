import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';

const KEY_PREFIX = 'exk_';

export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

/** A new key: a fixed prefix and 32 random bytes, base64url (256 bits: a fast hash is enough to store it). */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

export interface CreatedAccount {
  accountId: string;
  apiKey: string;
}

/** Accounts and their API keys; keys are stored as SHA-256 hashes only. */
export class AccountsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async createAccount(name: string): Promise<CreatedAccount> {
    const accountId = randomUUID();
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO accounts (id, name) VALUES ($1, $2)`, [accountId, name]);
      const apiKey = await this.insertKey(accountId, (sql, params) => manager.query(sql, params));
      return { accountId, apiKey };
    });
  }

  async createApiKey(accountId: string): Promise<string> {
    return this.insertKey(accountId, (sql, params) => this.dataSource.query(sql, params));
  }

  /** The account a key belongs to, or null for an unknown or revoked key. */
  async accountIdForKey(apiKey: string): Promise<string | null> {
    return (await this.findKey(apiKey))?.accountId ?? null;
  }

  /** A valid key: its id (what a revocation names) and its account; null for an unknown or revoked key. */
  async findKey(apiKey: string): Promise<{ keyId: string; accountId: string } | null> {
    if (!apiKey.startsWith(KEY_PREFIX) || apiKey.length > 200) return null;
    const hash = hashApiKey(apiKey);
    const rows: Array<{ id: string; account_id: string; key_hash: string }> = await this.dataSource.query(
      `SELECT id, account_id, key_hash FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
      [hash],
    );
    const row = rows[0];
    // The index finds the row; the constant-time compare keeps the final check free of timing leaks.
    if (!row || !timingSafeEqual(Buffer.from(row.key_hash, 'hex'), Buffer.from(hash, 'hex'))) return null;
    return { keyId: row.id, accountId: row.account_id };
  }

  private async insertKey(accountId: string, query: (sql: string, params: unknown[]) => Promise<unknown>): Promise<string> {
    const apiKey = generateApiKey();
    await query(`INSERT INTO api_keys (id, account_id, key_hash, key_prefix) VALUES ($1, $2, $3, $4)`, [
      randomUUID(),
      accountId,
      hashApiKey(apiKey),
      apiKey.slice(0, KEY_PREFIX.length + 6),
    ]);
    return apiKey;
  }
}
