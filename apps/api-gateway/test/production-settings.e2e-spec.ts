import { randomBytes } from 'node:crypto';
import { Channel, DeliveryStatus, MessageDirection, Subjects } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { AppName, AppProcess, sleep, TestStack } from '@exports/testing';

const APPS: AppName[] = ['api-gateway', 'export-worker', 'history-service'];

/** NODE_ENV=production with credentials of our own (only their presence is checked for NATS). */
const PRODUCTION: Record<string, string> = {
  NODE_ENV: 'production',
  CURSOR_SECRET: randomBytes(24).toString('base64url'),
  S3_ACCESS_KEY: 'exports-app',
  S3_SECRET_KEY: randomBytes(16).toString('hex'),
  NATS_USER: 'exports',
  NATS_PASSWORD: randomBytes(12).toString('hex'),
  WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
  WEBHOOK_ALLOW_INSECURE: 'false',
};

/**
 * Settings that pass every check of the config. PostgreSQL and NATS point at closed ports:
 * a check that let a bad setting through would end in a refused connection, never touch
 * the machine's services, and still fail the test on the exit code.
 */
const SAFE: Record<string, string> = {
  ...PRODUCTION,
  DATABASE_URL: 'postgres://exports_app@127.0.0.1:1/exports',
  NATS_URL: 'nats://127.0.0.1:1',
  S3_ENDPOINT: 'http://127.0.0.1:1',
  S3_PUBLIC_URL: 'https://files.example.com',
  OPS_PORT: '0',
  PORT: '0',
};

/** The apps with NODE_ENV=production and unsafe settings: each refuses to start, naming them. */
describe('production settings (e2e)', () => {
  it.each([
    ['the development CURSOR_SECRET', { CURSOR_SECRET: undefined }, 'CURSOR_SECRET'],
    ['a CURSOR_SECRET under 32 characters', { CURSOR_SECRET: 'x'.repeat(31) }, 'CURSOR_SECRET'],
    ['the development WEBHOOK_SECRET_KEY', { WEBHOOK_SECRET_KEY: undefined }, 'WEBHOOK_SECRET_KEY'],
    ['webhooks allowed over http and to private addresses', { WEBHOOK_ALLOW_INSECURE: 'true' }, 'WEBHOOK_ALLOW_INSECURE'],
    ['the default S3 access key', { S3_ACCESS_KEY: 'minioadmin' }, 'S3_ACCESS_KEY'],
    ['the default S3 secret key', { S3_SECRET_KEY: 'minioadmin' }, 'S3_SECRET_KEY'],
    ["the local S3 server's credentials", { S3_ACCESS_KEY: 'S3RVER', S3_SECRET_KEY: 'S3RVER' }, 'S3_ACCESS_KEY'],
    ['NATS without credentials', { NATS_USER: undefined, NATS_PASSWORD: undefined }, 'NATS_NKEY_SEED_FILE, NATS_USER, NATS_PASSWORD'],
    ['links over plain http', { S3_PUBLIC_URL: 'http://files.example.com' }, 'S3_PUBLIC_URL'],
    ['links on an http S3_ENDPOINT', { S3_PUBLIC_URL: undefined }, 'S3_ENDPOINT'],
  ])('every app refuses %s: exit 78, one line naming the setting', async (_, change, name) => {
    for (const app of APPS) {
      const { code, output } = await runToExit(app, { ...SAFE, ...change });
      expect({ app, code }).toEqual({ app, code: 78 });
      expect(output).toContain(`${app}: Unsafe configuration for NODE_ENV=production:`);
      expect(output).toContain(`  - ${name}: `);
    }
  }, 120_000);

  it('names every unsafe setting at once, and never prints a secret', async () => {
    const { code, output } = await runToExit('api-gateway', { NODE_ENV: 'production', DATABASE_URL: SAFE.DATABASE_URL, NATS_URL: SAFE.NATS_URL });
    expect(code).toBe(78);
    const lines = output.split('\n').filter((line) => line.startsWith('  - '));
    expect(lines.map((line) => line.slice(4).split(':')[0])).toEqual(['CURSOR_SECRET', 'WEBHOOK_SECRET_KEY', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'NATS_NKEY_SEED_FILE, NATS_USER, NATS_PASSWORD', 'S3_ENDPOINT']);
    expect(output).not.toContain('minioadmin');
  });

  it('applies no production check without NODE_ENV=production (development defaults stay usable)', async () => {
    const { code, output } = await runToExit('api-gateway', { DATABASE_URL: SAFE.DATABASE_URL, NATS_URL: SAFE.NATS_URL, PORT: 'eighty' });
    expect(code).toBe(78);
    expect(output).toContain('Invalid configuration');
    expect(output).not.toContain('NODE_ENV=production');
  });

  describe('with an owner role for migrations and an app role for the apps', () => {
    // The stack's own S3 server, so that its credentials are not a default; its links are http on 127.0.0.1.
    // NATS: the stack's own authenticated server, each app with its nkey seed (instead of a user and password).
    const { NATS_USER: _user, NATS_PASSWORD: _password, ...production } = PRODUCTION;
    const stack = new TestStack({ apps: ['export-worker', 'history-service'], databaseRoles: true, ownS3: true, env: { ...production, S3_ALLOW_HTTP_LINKS: 'true' } });
    let account: CreatedAccount;

    beforeAll(async () => {
      await stack.start();
      // The gateway migrates through DATABASE_MIGRATION_URL (nothing left to do) and serves as the app role.
      await stack.startApp('api-gateway', { DATABASE_MIGRATION_URL: stack.ownerDatabaseUrl });
      account = await stack.createAccount('least privilege');
    }, 120_000);

    afterAll(() => stack.stop(), 60_000);

    it('gives the apps a role that is neither superuser nor owner of anything', async () => {
      const app = new URL(stack.appDatabaseUrl).username;
      const [role] = await stack.query(
        `SELECT r.rolsuper, (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = $1) AS owned,
                (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public') AS schema_owner,
                (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()) AS database_owner
           FROM pg_roles r WHERE r.rolname = $1`,
        [app],
      );
      const owner = new URL(stack.ownerDatabaseUrl).username;
      expect(role).toEqual({ rolsuper: false, owned: 0, schema_owner: owner, database_owner: owner });
      const [tables] = await stack.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tableowner <> $1`, [owner]);
      expect(tables.n).toBe(0);
    });

    it('runs a contacts export through to COMPLETED and a download, and serves message history, as the app role', async () => {
      await stack.publishFor(account.accountId, Subjects.platform.contactsUpserted, {
        accountId: account.accountId,
        contact: { id: 'c-1', email: 'ada@example.com', firstName: 'Ada', createdAt: '2026-01-15T10:30:00Z', updatedAt: '2026-01-15T10:30:00Z' },
      });
      await stack.publishFor(account.accountId, Subjects.platform.messagesRecorded, {
        accountId: account.accountId,
        message: { messageId: 'm-1', channel: Channel.Sms, direction: MessageDirection.Outbound, sender: 'ACME', destination: '+33612345678', body: 'Hello', status: DeliveryStatus.Sent, sendDate: '2026-01-10T08:00:00.000Z' },
      });
      await until(async () => (await stack.query(`SELECT (SELECT count(*) FROM contacts)::int + (SELECT count(*) FROM messages)::int AS n`))[0].n === 2);

      const created = await stack.http('POST', '/exports/contacts', { apiKey: account.apiKey, body: {} });
      expect(created.status).toBe(202);
      const done = await stack.waitForExport(account.apiKey, created.body.exportId);
      expect(done).toMatchObject({ status: 'COMPLETED', rowCount: 1 });
      const link = await stack.http('GET', `/exports/${created.body.exportId}`, { apiKey: account.apiKey });
      const file = await fetch(link.body.downloadUrl);
      expect(file.status).toBe(200);
      expect(await file.text()).toContain('ada@example.com');

      const history = await stack.http('GET', '/messages/history?channel=SMS&from=2026-01-01T00:00:00Z&to=2026-01-31T00:00:00Z', { apiKey: account.apiKey });
      expect(history.status).toBe(200);
      expect(history.body.messages.map((m: { messageId: string }) => m.messageId)).toEqual(['m-1']);
      expect(await stack.ops('api-gateway', '/health/ready')).toMatchObject({ status: 200, body: { status: 'ok' } });
    });

    it('refuses a superuser DATABASE_URL, naming DATABASE_URL', async () => {
      const { code, output } = await runToExit('api-gateway', { ...stack.env, NATS_NKEY_SEED_FILE: stack.nkeySeedFile('api-gateway'), DATABASE_URL: stack.databaseUrl });
      expect(code).toBe(78);
      expect(output).toMatch(/api-gateway: Unsafe configuration for NODE_ENV=production:\n {2}- DATABASE_URL: the role "postgres" is a superuser;/);
    });

    it("refuses the owner's role as DATABASE_URL, naming DATABASE_URL", async () => {
      const { code, output } = await runToExit('export-worker', { ...stack.env, NATS_NKEY_SEED_FILE: stack.nkeySeedFile('export-worker'), DATABASE_URL: stack.ownerDatabaseUrl });
      expect(code).toBe(78);
      expect(output).toMatch(/ {2}- DATABASE_URL: the role "exports_owner_\w+" owns the database exports_test_\w+, the schema public, \d+ table\(s\)/);
    });
  });
});

/** Runs an app from dist/ with exactly `env` (and PATH) until it exits; one that is still up after a minute is killed. */
async function runToExit(app: AppName, env: Record<string, string | undefined>): Promise<{ code: number | null; output: string }> {
  const defined = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  let output = '';
  const instance = AppProcess.spawn(app, { env: { PATH: process.env.PATH ?? '', ...defined }, onLine: (line) => (output += `${line}\n`) });
  const timer = setTimeout(() => void instance.stop('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolveExit) => instance.child.once('exit', resolveExit));
  clearTimeout(timer);
  return { code, output };
}

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms`);
    await sleep(200);
  }
}
