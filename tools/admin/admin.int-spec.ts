import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { JsMsg } from 'nats';
import { Consumers, NatsNamespace, StreamKey, Subjects } from '@exports/contracts';
import { AccountsRepository, openDatabase } from '@exports/database';
import { DeadLetters, JetStream } from '@exports/platform';
import { ObjectStorage } from '@exports/storage';

/** The compiled admin CLI as an operator runs it, against a database and bucket of its own. */
describe('admin CLI (int)', () => {
  const ROOT = resolve(__dirname, '../..');
  const ENTRY = resolve(ROOT, 'dist/tools/admin/main.js');
  const id = randomBytes(4).toString('hex');
  const database = `exports_admin_${id}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/${database}`;
  const bucket = `admin-${id}`;
  const namespace = new NatsNamespace(`a${id}`);
  const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const s3 = { endpoint: requiredEnv('S3_ENDPOINT'), accessKey: process.env.S3_ACCESS_KEY ?? 'minioadmin', secretKey: process.env.S3_SECRET_KEY ?? 'minioadmin' };
  const storage = new ObjectStorage({ ...s3, publicUrl: s3.endpoint, bucket });
  const env = {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: databaseUrl,
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    S3_BUCKET: bucket,
    NATS_URL: natsUrl,
    NATS_NAMESPACE: namespace.prefix,
  };
  let dataSource: DataSource;

  interface Run {
    code: number;
    stdout: string;
    stderr: string;
  }

  function admin(...args: string[]): Promise<Run> {
    return adminWith({}, ...args);
  }

  function adminWith(extraEnv: Record<string, string>, ...args: string[]): Promise<Run> {
    return new Promise((done) => {
      execFile(process.execPath, [ENTRY, ...args], { cwd: ROOT, env: { ...env, ...extraEnv }, timeout: 90_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      });
    });
  }

  /** The JSON lines of a successful run. */
  async function adminJson(...args: string[]): Promise<any[]> {
    const run = await admin(...args);
    if (run.code !== 0) throw new Error(`admin ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return run.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
  }

  async function insertExport(accountId: string, columns: Record<string, unknown>): Promise<string> {
    const exportId = randomUUID();
    const row: Record<string, unknown> = { id: exportId, account_id: accountId, type: 'CONTACTS', filters: JSON.stringify({ listIds: ['vip'] }), ...columns };
    const names = Object.keys(row);
    await dataSource.query(`INSERT INTO exports (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(row));
    return exportId;
  }

  const exportRow = async (exportId: string) => (await dataSource.query(`SELECT * FROM exports WHERE id = $1`, [exportId]))[0];
  const outboxOf = (exportId: string): Promise<Array<{ kind: string; run: number }>> => dataSource.query(`SELECT kind, run FROM outbox WHERE export_id = $1 ORDER BY id`, [exportId]);

  beforeAll(async () => {
    if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run "npm run build" first`);
    dataSource = await openDatabase(databaseUrl, 2);
    await storage.ensureBucket();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await storage.removePrefix('').catch(() => undefined);
    await (storage as unknown as { client: { removeBucket(name: string): Promise<void> } }).client.removeBucket(bucket).catch(() => undefined);
    const admin = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(database)} WITH (FORCE)`);
    await admin.end();
  });

  describe('command line', () => {
    it('lists every command in help, and each command has its own --help', async () => {
      const help = await admin('help');
      expect(help.code).toBe(0);
      const commands = [
        'db:migrate',
        'account:create',
        'account:list',
        'account:purge',
        'key:create',
        'key:list',
        'key:revoke',
        'export:show',
        'export:retry',
        'files:purge-expired',
        'dead-letters:list',
        'dead-letters:replay',
      ];
      for (const command of commands) {
        expect(help.stdout).toContain(command);
        const own = await admin(command, '--help');
        expect(own).toMatchObject({ code: 0, stderr: '' });
        expect(own.stdout).toContain(`Usage: npm run admin -- ${command}`);
      }
    });

    it.each([
      [['account:create'], '--name'],
      [['key:create'], '--account'],
      [['key:list'], '--account'],
      [['key:revoke'], '--key-id'],
      [['export:show'], '--export'],
      [['export:retry'], '--export'],
      [['account:purge'], '--account'],
      [['account:purge', '--account', 'x'], '--account must be a UUID'],
      [['key:list', '--account'], '--account'],
      [['key:list', '--account', 'not-a-uuid'], '--account must be a UUID'],
      [['key:list', '--account', randomUUID(), '--verbose'], 'unknown option --verbose'],
      [['account:list', 'extra'], 'unexpected argument "extra"'],
      [['no:such-command'], 'Unknown command "no:such-command"'],
      [['dead-letters:list', '--limit', '0'], '--limit must be a whole number from 1'],
      [['dead-letters:replay'], 'give either --seq <n> or --all'],
      [['dead-letters:replay', '--seq', '3', '--all'], 'give either --seq <n> or --all'],
      [['dead-letters:replay', '--all=yes'], '--all takes no value'],
    ])('%j is a usage error (exit 2) naming %s', async (args, message) => {
      const run = await admin(...args);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(message);
    });
  });

  describe('database', () => {
    it('db:migrate runs what is pending as DATABASE_MIGRATION_URL, and nothing when the schema is up to date', async () => {
      const fresh = `exports_admin_${id}_migrate`;
      try {
        const migrationUrl = `postgres://postgres@127.0.0.1:5432/${fresh}`;
        const first = await adminWith({ DATABASE_URL: `postgres://nobody@127.0.0.1:5432/${fresh}`, DATABASE_MIGRATION_URL: migrationUrl }, 'db:migrate');
        expect(first).toMatchObject({ code: 0, stderr: '' });
        const applied = JSON.parse(first.stdout);
        expect(applied).toMatchObject({ database: fresh });
        expect(applied.applied.length).toBeGreaterThan(0);
        const again = await adminWith({ DATABASE_URL: migrationUrl }, 'db:migrate');
        expect(JSON.parse(again.stdout)).toEqual({ database: fresh, applied: [] });
      } finally {
        const pg = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
        await pg.connect();
        await pg.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(fresh)} WITH (FORCE)`);
        await pg.end();
      }
    });
  });

  describe('accounts and keys', () => {
    let account: { accountId: string; apiKey: string };
    let second: { accountId: string; apiKey: string };

    it('account:create prints exactly one JSON line {"accountId","apiKey"} and nothing else on stdout', async () => {
      const run = await admin('account:create', '--name', 'Acme Ltd');
      expect(run.code).toBe(0);
      expect(run.stdout.endsWith('\n')).toBe(true);
      const lines = run.stdout.slice(0, -1).split('\n');
      expect(lines).toHaveLength(1);
      account = JSON.parse(lines[0]);
      expect(Object.keys(account).sort()).toEqual(['accountId', 'apiKey']);
      expect(account.accountId).toMatch(/^[0-9a-f-]{36}$/);
      expect(await new AccountsRepository(dataSource).accountIdForKey(account.apiKey)).toBe(account.accountId);
    });

    it('account:list shows each account with its active key count', async () => {
      const other = (await adminJson('account:create', '--name', 'Other'))[0];
      const accounts = await adminJson('account:list');
      expect(accounts).toEqual([
        { id: account.accountId, name: 'Acme Ltd', createdAt: expect.any(String), activeKeys: 1 },
        { id: other.accountId, name: 'Other', createdAt: expect.any(String), activeKeys: 1 },
      ]);
      expect(Date.parse(accounts[0].createdAt)).not.toBeNaN();
    });

    it('key:create adds a working key; key:list shows the keys without their hash', async () => {
      second = (await adminJson('key:create', '--account', account.accountId))[0];
      expect(second.accountId).toBe(account.accountId);
      expect(second.apiKey).not.toBe(account.apiKey);
      expect(await new AccountsRepository(dataSource).accountIdForKey(second.apiKey)).toBe(account.accountId);

      const keys = await adminJson('key:list', '--account', account.accountId);
      expect(keys).toHaveLength(2);
      for (const key of keys) {
        expect(Object.keys(key).sort()).toEqual(['accountId', 'createdAt', 'id', 'prefix', 'revokedAt']);
        expect(key).toMatchObject({ accountId: account.accountId, revokedAt: null });
      }
      expect(keys.map((key) => key.prefix)).toEqual([account.apiKey, second.apiKey].map((apiKey) => apiKey.slice(0, 10)));
      const hashes: Array<{ key_hash: string }> = await dataSource.query(`SELECT key_hash FROM api_keys`);
      for (const { key_hash } of hashes) expect(JSON.stringify(keys)).not.toContain(key_hash);
    });

    it('key:revoke revokes one key: it no longer authenticates, the other one still does', async () => {
      const keys = await adminJson('key:list', '--account', account.accountId);
      const target = keys.find((key) => second.apiKey.startsWith(key.prefix))!;

      const [revoked] = await adminJson('key:revoke', '--key-id', target.id);
      expect(revoked).toMatchObject({ id: target.id, accountId: account.accountId, revokedAt: expect.any(String) });
      const accounts = new AccountsRepository(dataSource);
      expect(await accounts.accountIdForKey(second.apiKey)).toBeNull();
      expect(await accounts.accountIdForKey(account.apiKey)).toBe(account.accountId);

      const listed = await adminJson('key:list', '--account', account.accountId);
      expect(listed.find((key) => key.id === target.id).revokedAt).toBe(revoked.revokedAt);
      expect((await adminJson('account:list')).find((a) => a.id === account.accountId).activeKeys).toBe(1);

      const again = await admin('key:revoke', '--key-id', target.id);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout).revokedAt).toBe(revoked.revokedAt);
      expect(again.stderr).toContain('already revoked');
    });

    it('answers exit 1 for an unknown account or key', async () => {
      for (const args of [
        ['key:create', '--account', randomUUID()],
        ['key:list', '--account', randomUUID()],
        ['key:revoke', '--key-id', randomUUID()],
      ]) {
        const run = await admin(...args);
        expect(run).toMatchObject({ code: 1, stdout: '' });
        expect(run.stderr).toMatch(/^No (account|API key) [0-9a-f-]{36}\n$/);
      }
    });
  });

  describe('exports', () => {
    let accountId: string;

    beforeAll(async () => {
      accountId = (await adminJson('account:create', '--name', 'Exports Inc'))[0].accountId;
    });

    it('export:show prints the export with its status as it reads now, and the run bookkeeping', async () => {
      const objectKey = `${accountId}/x/contacts.csv`;
      const exportId = await insertExport(accountId, {
        status: 'COMPLETED',
        run: 2,
        attempts: 1,
        completed_at: new Date(Date.now() - 7_200_000),
        link_expires_at: new Date(Date.now() - 60_000),
        file_expires_at: new Date(Date.now() + 86_400_000),
        row_count: 42,
        size_bytes: 1234,
        sha256: 'ab'.repeat(32),
        file_name: 'contacts.csv',
        object_key: objectKey,
      });
      const [shown] = await adminJson('export:show', '--export', exportId);
      expect(shown).toMatchObject({
        exportId,
        type: 'CONTACTS',
        status: 'EXPIRED',
        isAvailableForDownload: false,
        filters: { listIds: ['vip'] },
        rowCount: 42,
        fileName: 'contacts.csv',
        accountId,
        run: 2,
        attempts: 1,
        objectKey,
        objectKeys: [objectKey],
      });
      expect((await exportRow(exportId)).status).toBe('COMPLETED');

      const missing = await admin('export:show', '--export', randomUUID());
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^No export /);
    });

    it('export:retry runs a FAILED export again: PENDING, next run, the run in the outbox', async () => {
      const exportId = await insertExport(accountId, { status: 'FAILED', run: 1, attempts: 3, error_code: 'TIMEOUT', error_message: 'gave up' });
      const [retried] = await adminJson('export:retry', '--export', exportId);
      expect(retried).toMatchObject({ exportId, status: 'PENDING', run: 2, attempts: 0, filters: { listIds: ['vip'] } });
      expect(retried.error).toBeUndefined();
      expect(await exportRow(exportId)).toMatchObject({ status: 'PENDING', run: 2, attempts: 0, error_code: null });
      expect(await outboxOf(exportId)).toEqual([{ kind: 'run', run: 2 }]);
    });

    it('export:retry refuses (exit 1) when the account is at its cap of unfinished exports, and changes nothing', async () => {
      const capped = (await adminJson('account:create', '--name', 'Capped'))[0].accountId;
      // EXPORT_MAX_OPEN_PER_ACCOUNT is 5 by default.
      for (let i = 0; i < 5; i++) await insertExport(capped, { status: 'PENDING' });
      const exportId = await insertExport(capped, { status: 'FAILED', run: 1, attempts: 3, error_code: 'TIMEOUT', error_message: 'gave up' });
      const run = await admin('export:retry', '--export', exportId);
      expect(run).toMatchObject({ code: 1, stdout: '' });
      expect(run.stderr).toContain(`Account ${capped} already has 5 unfinished exports (limit 5, EXPORT_MAX_OPEN_PER_ACCOUNT)`);
      expect(await exportRow(exportId)).toMatchObject({ status: 'FAILED', run: 1 });
      expect(await outboxOf(exportId)).toEqual([]);
    });

    it.each([
      ['COMPLETED', { link_expires_at: new Date(Date.now() + 3_600_000), file_expires_at: new Date(Date.now() + 86_400_000), object_key: 'k' }],
      ['PENDING', {}],
      ['CANCELLED', { cancelled_at: new Date() }],
    ])('export:retry refuses a %s export (exit 1) and changes nothing', async (status, columns) => {
      const exportId = await insertExport(accountId, { status, ...columns });
      const run = await admin('export:retry', '--export', exportId);
      expect(run).toMatchObject({ code: 1, stdout: '' });
      expect(run.stderr).toContain(`is ${status}: only a FAILED export can be retried`);
      expect(await exportRow(exportId)).toMatchObject({ status, run: 1 });
      expect(await outboxOf(exportId)).toEqual([]);
    });

    it('files:purge-expired removes the files past retention now, and only those', async () => {
      const expiredId = randomUUID();
      const keptId = randomUUID();
      const expiredKey = `${accountId}/${expiredId}/contacts.csv`;
      const keptKey = `${accountId}/${keptId}/contacts.csv`;
      await storage.upload(expiredKey, Readable.from([Buffer.from('id\nc-1\n')]));
      await storage.upload(keptKey, Readable.from([Buffer.from('id\nc-2\n')]));
      const completed = { status: 'COMPLETED', completed_at: new Date(Date.now() - 10 * 86_400_000), file_name: 'contacts.csv' };
      await insertExport(accountId, {
        id: expiredId,
        ...completed,
        link_expires_at: new Date(Date.now() - 9 * 86_400_000),
        file_expires_at: new Date(Date.now() - 60_000),
        object_key: expiredKey,
      });
      await insertExport(accountId, {
        id: keptId,
        ...completed,
        link_expires_at: new Date(Date.now() - 60_000),
        file_expires_at: new Date(Date.now() + 86_400_000),
        object_key: keptKey,
      });

      // The export was downloaded: its audit outlives the file, as long as the export itself.
      await dataSource.query(`INSERT INTO export_downloads (id, export_id, account_id, api_key_id, part) VALUES ($1, $2, $3, $4, 1)`, [randomUUID(), expiredId, accountId, randomUUID()]);
      await dataSource.query(`UPDATE exports SET download_count = 1, last_downloaded_at = now() WHERE id = $1`, [expiredId]);

      expect(await adminJson('files:purge-expired')).toEqual([{ purged: 1 }]);
      expect(await storage.stat(expiredKey)).toBeNull();
      expect(await storage.stat(keptKey)).not.toBeNull();
      expect((await exportRow(expiredId)).file_purged_at).toBeInstanceOf(Date);
      expect((await exportRow(keptId)).file_purged_at).toBeNull();
      expect(await dataSource.query(`SELECT count(*)::int AS n FROM export_downloads WHERE export_id = $1`, [expiredId])).toEqual([{ n: 1 }]);
      expect(await exportRow(expiredId)).toMatchObject({ download_count: 1, last_downloaded_at: expect.any(Date) });

      expect(await adminJson('files:purge-expired')).toEqual([{ purged: 0 }]);
    });

    /** A COMPLETED export whose link and file retention ended a minute ago. */
    const pastRetention = () => ({
      status: 'COMPLETED',
      completed_at: new Date(Date.now() - 86_400_000),
      link_expires_at: new Date(Date.now() - 60_000),
      file_expires_at: new Date(Date.now() - 60_000),
    });

    it('files:purge-expired removes the one object the row recorded, never another run of the export', async () => {
      const exportId = randomUUID();
      const recorded = `${accountId}/${exportId}/1/contacts.csv`;
      const newer = `${accountId}/${exportId}/2/contacts.csv`;
      await storage.upload(recorded, Readable.from(['id\n']));
      await storage.upload(newer, Readable.from(['id\n']));
      await insertExport(accountId, {
        id: exportId,
        ...pastRetention(),
        file_name: 'contacts.csv',
        object_key: recorded,
      });
      expect(await adminJson('files:purge-expired')).toEqual([{ purged: 1 }]);
      expect(await storage.stat(recorded)).toBeNull();
      expect(await storage.stat(newer)).not.toBeNull();
    });

    it('files:purge-expired removes every part of a split export', async () => {
      const exportId = randomUUID();
      const parts = [1, 2, 3].map((part) => ({ part, objectKey: `${accountId}/${exportId}/1/part-${part}.csv`, fileName: `c-part-${part}-of-3.csv`, rowCount: 1, sizeBytes: 3, sha256: '0'.repeat(64) }));
      for (const part of parts) await storage.upload(part.objectKey, Readable.from(['id\n']));
      await insertExport(accountId, {
        id: exportId,
        ...pastRetention(),
        object_key: parts[0].objectKey,
        files: JSON.stringify(parts),
      });
      expect(await adminJson('files:purge-expired')).toEqual([{ purged: 1 }]);
      for (const part of parts) expect(await storage.stat(part.objectKey)).toBeNull();
    });
  });

  describe('account:purge', () => {
    async function seedAccount(name: string): Promise<{ accountId: string; apiKey: string; objectKey: string }> {
      const { accountId, apiKey } = (await adminJson('account:create', '--name', name))[0];
      await adminJson('key:create', '--account', accountId);
      const exportId = await insertExport(accountId, { status: 'FAILED', error_code: 'INTERNAL', error_message: 'x' });
      const objectKey = `${accountId}/${exportId}/1/contacts.csv`;
      await storage.upload(objectKey, Readable.from(['id\n']));
      await storage.upload(`${accountId}/${randomUUID()}/contacts.csv`, Readable.from(['id\n']));
      await insertExport(accountId, { status: 'PENDING' });
      await dataSource.query(`INSERT INTO outbox (export_id, account_id, kind, run, snapshot) SELECT $1, $2, 'failed', 1, to_jsonb(e) FROM exports e WHERE e.id = $1`, [exportId, accountId]);
      // Downloads of an earlier run of that export, by the account's first key.
      await dataSource.query(
        `INSERT INTO export_downloads (id, export_id, account_id, api_key_id, part, client_ip, user_agent)
         SELECT gen_random_uuid(), $1, $2, k.id, 1, '203.0.113.7', 'curl/8.5.0' FROM api_keys k, generate_series(1, 3) WHERE k.account_id = $2 ORDER BY k.created_at LIMIT 3`,
        [exportId, accountId],
      );
      await dataSource.query(`INSERT INTO contacts (account_id, id, updated_at) VALUES ($1, 'c-1', now()), ($1, 'c-2', now())`, [accountId]);
      await dataSource.query(
        `INSERT INTO messages (account_id, message_id, channel, direction, sender, destination, body, status, status_at, send_date)
         VALUES ($1, 'm-1', 'SMS', 'OUTBOUND', 'ACME', '+33600000001', 'hello', 'SENT', now(), now())`,
        [accountId],
      );
      await dataSource.query(`INSERT INTO delivery_reports (account_id, message_id, status, occurred_at) VALUES ($1, 'm-1', 'SENT', now()), ($1, 'm-1', 'DELIVERED', now())`, [accountId]);
      return { accountId, apiKey, objectKey };
    }

    const countsOf = async (accountId: string) =>
      (
        await dataSource.query(
          `SELECT (SELECT count(*) FROM accounts WHERE id = $1)::int AS accounts, (SELECT count(*) FROM api_keys WHERE account_id = $1)::int AS "apiKeys",
                  (SELECT count(*) FROM exports WHERE account_id = $1)::int AS exports, (SELECT count(*) FROM outbox WHERE account_id = $1)::int AS outbox,
                  (SELECT count(*) FROM contacts WHERE account_id = $1)::int AS contacts, (SELECT count(*) FROM messages WHERE account_id = $1)::int AS messages,
                  (SELECT count(*) FROM delivery_reports WHERE account_id = $1)::int AS "deliveryReports",
                  (SELECT count(*) FROM export_downloads WHERE account_id = $1)::int AS downloads`,
          [accountId],
        )
      )[0];

    it('removes the account, its keys, exports (rows, download records and every object under its prefix), contacts, messages and reports; another account is untouched', async () => {
      const gone = await seedAccount('Leaving Ltd');
      const kept = await seedAccount('Staying Ltd');

      const [printed] = await adminJson('account:purge', '--account', gone.accountId);
      expect(printed).toEqual({ accountId: gone.accountId, objects: 2, exports: 2, downloads: 3, contacts: 2, messages: 1, deliveryReports: 2, apiKeys: 2 });
      expect(await countsOf(gone.accountId)).toEqual({ accounts: 0, apiKeys: 0, exports: 0, outbox: 0, contacts: 0, messages: 0, deliveryReports: 0, downloads: 0 });
      expect(await storage.listKeys(`${gone.accountId}/`)).toEqual([]);
      expect(await new AccountsRepository(dataSource).accountIdForKey(gone.apiKey)).toBeNull();

      expect(await countsOf(kept.accountId)).toEqual({ accounts: 1, apiKeys: 2, exports: 2, outbox: 1, contacts: 2, messages: 1, deliveryReports: 2, downloads: 3 });
      expect(await storage.stat(kept.objectKey)).not.toBeNull();
      expect(await new AccountsRepository(dataSource).accountIdForKey(kept.apiKey)).toBe(kept.accountId);

      const again = await admin('account:purge', '--account', gone.accountId);
      expect(again).toMatchObject({ code: 1, stdout: '' });
      expect(again.stderr).toBe(`No account ${gone.accountId}\n`);
    });
  });

  describe('dead letters', () => {
    const durable = Consumers.exportWorkerContacts;
    const bodies = ['not json at all', JSON.stringify({ accountId: randomUUID(), contact: { id: 'c-1' } }), JSON.stringify({ accountId: randomUUID(), contactId: 'c-2' })];
    const subjects = [Subjects.platform.contactsUpserted, Subjects.platform.contactsUpserted, Subjects.platform.contactsDeleted];
    let jetStream: JetStream;
    let deadLetters: DeadLetters;
    let delivered: JsMsg[];

    /** The event at `seq` of this namespace's PLATFORM stream: documented subject and body. */
    async function platformEvent(seq: number): Promise<{ subject: string; body: string }> {
      const stored = await jetStream.storedMessage('platform', seq);
      return { subject: namespace.unprefix(stored!.subject), body: stored!.string() };
    }

    beforeAll(async () => {
      // What the ingest does with events it cannot store: delivered from PLATFORM, then parked.
      jetStream = await JetStream.connect({ servers: natsUrl, name: 'admin-test' }, namespace);
      await jetStream.ensureStreams(['platform']);
      await jetStream.ensureConsumer({ stream: 'platform', durable, filterSubject: Subjects.platform.contactsAll, ackWaitSeconds: 30, maxDeliver: -1 });
      for (const [i, body] of bodies.entries()) await jetStream.publishBytes(subjects[i], Buffer.from(body));
      const consumer = await jetStream.consumer('platform', durable);
      delivered = [];
      for await (const message of await consumer.fetch({ max_messages: bodies.length, expires: 5000 })) delivered.push(message);
      expect(delivered).toHaveLength(bodies.length);
      deadLetters = new DeadLetters(jetStream);
      await deadLetters.ensureStream();
      for (const [i, message] of delivered.entries()) await deadLetters.park(message, durable, `reason ${i}\nsecond line`);
      // Parking one event again (a redelivery after a lost term) stores nothing more.
      await deadLetters.park(delivered[0], durable, 'reason 0 again');
      for (const message of delivered) message.term();
    });

    afterAll(async () => {
      for (const key of ['platform', 'deadLetters'] as StreamKey[]) await jetStream?.deleteStream(key).catch(() => undefined);
      await jetStream?.close();
    });

    it('dead-letters:list prints one line per dead letter, oldest first, with its reason on one line', async () => {
      const letters = await adminJson('dead-letters:list');
      expect(letters).toEqual(
        bodies.map((body, i) => ({ seq: i + 1, subject: subjects[i], reason: `reason ${i} second line`, consumer: durable, at: expect.any(String), size: Buffer.byteLength(body) })),
      );
      expect(Date.parse(letters[0].at)).not.toBeNaN();
      expect(await adminJson('dead-letters:list', '--limit', '2')).toHaveLength(2);
      const stored = (await deadLetters.get(2))!;
      expect({ streamSeq: stored.streamSeq, deliveries: stored.deliveries, body: Buffer.from(stored.body).toString() }).toEqual({ streamSeq: 2, deliveries: 1, body: bodies[1] });
    });

    it('dead-letters:replay --seq publishes that one event, unchanged, on its own subject, and removes it', async () => {
      const [replayed] = await adminJson('dead-letters:replay', '--seq', '2');
      expect(replayed).toEqual({ seq: 2, subject: subjects[1], consumer: durable, replayedSeq: bodies.length + 1, duplicate: false });
      expect(await platformEvent(replayed.replayedSeq)).toEqual({ subject: subjects[1], body: bodies[1] });
      expect((await adminJson('dead-letters:list')).map((letter) => letter.seq)).toEqual([1, 3]);

      const again = await admin('dead-letters:replay', '--seq', '2');
      expect(again).toMatchObject({ code: 1, stdout: '', stderr: 'No dead letter 2\n' });
    });

    it('dead-letters:replay --all replays every one and leaves the stream empty', async () => {
      const run = await admin('dead-letters:replay', '--all');
      expect(run.code).toBe(0);
      const replayed = run.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
      expect(replayed.map((line) => line.seq)).toEqual([1, 3]);
      expect(run.stderr).toContain('2 dead letter(s) replayed');
      for (const line of replayed) expect(await platformEvent(line.replayedSeq)).toEqual({ subject: subjects[line.seq - 1], body: bodies[line.seq - 1] });
      expect(await adminJson('dead-letters:list')).toEqual([]);
      expect((await jetStream.streamBounds('deadLetters'))?.messages).toBe(0);
    });
  });
});

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through jest's int project (its global setup starts the S3 server)`);
  return value;
}
