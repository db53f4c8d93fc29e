import { ExportEntity } from './entities/export.entity';
import { rowsOf } from '@exports/platform';
import { toExportEntity } from './exports.repository';
import { SqlRepository } from './sql-repository';

export interface AccountSummary {
  id: string;
  name: string;
  createdAt: Date;
  /** Keys not revoked. */
  activeKeys: number;
}

/** What an operator may see of a key: never the hash. */
export interface ApiKeySummary {
  id: string;
  accountId: string;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/** What `purgeAccount` removed, table by table. */
export interface AccountPurge {
  exports: number;
  /** Download records of the account's exports. */
  downloads: number;
  contacts: number;
  messages: number;
  deliveryReports: number;
  apiKeys: number;
  /** The ids of the keys removed (gateways are told they no longer authenticate). */
  apiKeyIds: string[];
  accounts: number;
}

const KEY_COLUMNS = `id, account_id AS "accountId", key_prefix AS prefix, created_at AS "createdAt", revoked_at AS "revokedAt"`;

/**
 * Reads and writes across accounts for operators (the admin CLI), never behind a
 * customer request: a customer reaches exports only through the account-scoped
 * {@link ExportsRepository}.
 */
export class AdminRepository extends SqlRepository {
  /** Every account, oldest first, with its number of keys not revoked. */
  async listAccounts(): Promise<AccountSummary[]> {
    return this.rows<AccountSummary>(
      `SELECT a.id, a.name, a.created_at AS "createdAt", count(k.id) FILTER (WHERE k.revoked_at IS NULL)::int AS "activeKeys"
       FROM accounts a LEFT JOIN api_keys k ON k.account_id = a.id
       GROUP BY a.id ORDER BY a.created_at, a.id`,
      [],
    );
  }

  async accountExists(accountId: string): Promise<boolean> {
    return (await this.rows(`SELECT 1 FROM accounts WHERE id = $1`, [accountId])).length > 0;
  }

  /** The keys of an account, oldest first, revoked ones included. */
  async listApiKeys(accountId: string): Promise<ApiKeySummary[]> {
    return this.rows<ApiKeySummary>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE account_id = $1 ORDER BY created_at, id`, [accountId]);
  }

  /**
   * Revokes a key (authentication ignores it from then on; gateways that cached it are told by the caller). Revoking it again keeps the
   * first `revokedAt` (`revoked: false`); null for an unknown key.
   */
  async revokeApiKey(keyId: string): Promise<{ key: ApiKeySummary; revoked: boolean } | null> {
    const updated = await this.rows<ApiKeySummary>(`UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING ${KEY_COLUMNS}`, [keyId]);
    if (updated[0]) return { key: updated[0], revoked: true };
    const existing = await this.rows<ApiKeySummary>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = $1`, [keyId]);
    return existing[0] ? { key: existing[0], revoked: false } : null;
  }

  /** An export by id, whatever its account. */
  async findExport(exportId: string): Promise<ExportEntity | null> {
    const rows = await this.rows(`SELECT * FROM exports WHERE id = $1`, [exportId]);
    return rows[0] ? toExportEntity(rows[0]) : null;
  }

  /**
   * Removes an account and everything stored for it, in one transaction: its exports (with their
   * outbox entries and download records), contacts (tombstones included), messages, delivery reports, API keys and the
   * account itself. The export files are the caller's to remove (they are in object storage).
   */
  async purgeAccount(accountId: string): Promise<AccountPurge> {
    return this.dataSource.transaction(async (manager) => {
      const removed = async (sql: string): Promise<number> => {
        const result: unknown = await manager.query(sql, [accountId]);
        return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
      };
      // Keys first: from this statement on, the account's requests are refused (by gateways that cached a key, once told over NATS).
      const keys: unknown = await manager.query(`DELETE FROM api_keys WHERE account_id = $1 RETURNING id`, [accountId]);
      const apiKeyIds = Array.isArray(keys) && Array.isArray(keys[0]) ? (keys[0] as Array<{ id: string }>).map((key) => key.id) : [];
      return {
        apiKeys: apiKeyIds.length,
        apiKeyIds,
        // Counted before the exports go (they would cascade with them).
        downloads: await removed(`DELETE FROM export_downloads WHERE account_id = $1`),
        exports: await removed(`DELETE FROM exports WHERE account_id = $1`),
        contacts: await removed(`DELETE FROM contacts WHERE account_id = $1`),
        messages: await removed(`DELETE FROM messages WHERE account_id = $1`),
        deliveryReports: await removed(`DELETE FROM delivery_reports WHERE account_id = $1`),
        accounts: await removed(`DELETE FROM accounts WHERE id = $1`),
      };
    });
  }
}
