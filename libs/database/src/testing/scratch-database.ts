import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

const SERVER = 'postgres://postgres@127.0.0.1:5432';

/**
 * A database of one test file's own on the local server, for this lib's integration specs (not
 * exported: the apps' tests have `TestStack`). The spec creates it (`openDatabase`,
 * `ensureDatabase`); `drop` removes it, connections and all.
 */
export function scratchDatabase(label: string): { url: string; drop(): Promise<void> } {
  const name = `exports_test_${label}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  return {
    url: `${SERVER}/${name}`,
    drop: async () => {
      const admin = new Client({ connectionString: `${SERVER}/postgres` });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
