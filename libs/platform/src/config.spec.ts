import { ConfigError, databaseRoleProblem, loadConfig, productionProblems, refuseUnsafeProduction } from './config';

describe('loadConfig', () => {
  it('gives the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/exports',
      NATS_URL: 'nats://127.0.0.1:4222',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_BUCKET: 'exports',
      PORT: 3000,
      EXPORT_LINK_TTL_SECONDS: 3600,
      EXPORT_RETENTION_SECONDS: 604800,
      EXPORT_MAX_ATTEMPTS: 3,
      EXPORT_MAX_OPEN_PER_ACCOUNT: 5,
      DATABASE_STATEMENT_TIMEOUT_MS: 15_000,
      AUTH_FAILURES_PER_MINUTE: 30,
      TRUST_PROXY: 0,
      EXPORT_ACCOUNT_CONCURRENCY: 1,
      EXPORT_RECORD_RETENTION_DAYS: 90,
      INGEST_RETRY_BASE_MS: 1000,
      INGEST_RETRY_MAX_MS: 60_000,
      NATS_STREAM_REPLICAS: 1,
      EXPORT_ESTIMATE_TIMEOUT_MS: 2000,
      EXPORT_ESTIMATE_EXACT_MAX_ROWS: 1_000_000,
    });
    expect(config.s3PublicUrl).toBe('http://127.0.0.1:9000');
  });

  it('reads numbers and the public URL from the environment', () => {
    const config = loadConfig({ PORT: '8080', EXPORT_MAX_ATTEMPTS: '5', S3_PUBLIC_URL: 'https://files.example.com' });
    expect(config.PORT).toBe(8080);
    expect(config.EXPORT_MAX_ATTEMPTS).toBe(5);
    expect(config.s3PublicUrl).toBe('https://files.example.com');
  });

  it.each([
    ['PORT', 'eighty'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '0'],
    ['AUTH_FAILURES_PER_MINUTE', '0'],
    ['TRUST_PROXY', 'true'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['NATS_URL', 'localhost:4222'],
    ['S3_ENDPOINT', 'not a url'],
    ['S3_BUCKET', 'Bad_Bucket'],
    ['EXPORT_MAX_ATTEMPTS', '0'],
    ['EXPORT_LINK_TTL_SECONDS', '-5'],
    ['LOG_LEVEL', 'chatty'],
    ['NATS_NAMESPACE', 'a.b'],
    ['NATS_STREAM_REPLICAS', '0'],
    ['NATS_STREAM_REPLICAS', '6'],
    ['NATS_STREAM_REPLICAS', 'three'],
    ['EXPORT_ACCOUNT_CONCURRENCY', '0'],
    ['EXPORT_RECORD_RETENTION_DAYS', '0'],
    ['INGEST_RETRY_BASE_MS', '0'],
    ['INGEST_RETRY_MAX_MS', 'a minute'],
    ['EXPORT_ESTIMATE_TIMEOUT_MS', '0'],
    ['EXPORT_ESTIMATE_EXACT_MAX_ROWS', '-1'],
    ['EXPORT_ESTIMATE_EXACT_MAX_ROWS', 'a million'],
  ])('stops on a bad %s (%s), naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });

  it('never echoes a secret', () => {
    try {
      loadConfig({ S3_SECRET_KEY: 'has space' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect((error as Error).message).toContain('S3_SECRET_KEY');
      expect((error as Error).message).not.toContain('has space');
    }
  });

  it.each([
    [{ NATS_USER: 'worker' }, 'NATS_USER, NATS_PASSWORD'],
    [{ NATS_PASSWORD: 'pw' }, 'NATS_USER, NATS_PASSWORD'],
    [{ NATS_USER: 'worker', NATS_PASSWORD: 'pw', NATS_NKEY_SEED_FILE: '/run/nats.nk' }, 'choose one way'],
    [{ NATS_TLS_CERT_FILE: '/c.pem' }, 'NATS_TLS_CERT_FILE, NATS_TLS_KEY_FILE'],
  ])('refuses NATS credentials set by halves: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads NATS credentials and TLS files', () => {
    expect(loadConfig({ NATS_NKEY_SEED_FILE: '/run/nats.nk', NATS_TLS_CA_FILE: '/ca.pem' })).toMatchObject({ NATS_NKEY_SEED_FILE: '/run/nats.nk', NATS_TLS_CA_FILE: '/ca.pem' });
    expect(loadConfig({ NATS_USER: 'worker', NATS_PASSWORD: 'pw' })).toMatchObject({ NATS_USER: 'worker', NATS_PASSWORD: 'pw' });
  });

  it('reads the ingestion backoff, and refuses a cap below the base', () => {
    expect(loadConfig({ INGEST_RETRY_BASE_MS: '100', INGEST_RETRY_MAX_MS: '1000' })).toMatchObject({ INGEST_RETRY_BASE_MS: 100, INGEST_RETRY_MAX_MS: 1000 });
    expect(() => loadConfig({ INGEST_RETRY_BASE_MS: '5000', INGEST_RETRY_MAX_MS: '1000' })).toThrow(/INGEST_RETRY_MAX_MS: must be at least INGEST_RETRY_BASE_MS/);
  });

  it('refuses links that would outlive their files', () => {
    expect(() => loadConfig({ EXPORT_LINK_TTL_SECONDS: '7200', EXPORT_RETENTION_SECONDS: '3600' })).toThrow(/EXPORT_RETENTION_SECONDS/);
  });

  it('refuses rows that would be removed while their files are kept', () => {
    expect(() => loadConfig({ EXPORT_RECORD_RETENTION_DAYS: '7', EXPORT_RETENTION_SECONDS: String(8 * 86_400) })).toThrow(/EXPORT_RECORD_RETENTION_DAYS: must cover/);
    expect(loadConfig({ EXPORT_RECORD_RETENTION_DAYS: '8', EXPORT_RETENTION_SECONDS: String(8 * 86_400) }).EXPORT_RECORD_RETENTION_DAYS).toBe(8);
  });
});

describe('productionProblems', () => {
  /** A production config that passes every check; each test spoils one setting. */
  const SAFE = {
    NODE_ENV: 'production',
    CURSOR_SECRET: 'a-production-cursor-secret-of-40-chars!!',
    S3_ACCESS_KEY: 'exports-app',
    S3_SECRET_KEY: 'a-long-random-secret-key',
    S3_ENDPOINT: 'http://minio:9000',
    S3_PUBLIC_URL: 'https://files.example.com',
    NATS_USER: 'exports',
    NATS_PASSWORD: 'a-nats-password',
    WEBHOOK_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
  };
  const problemsWith = (change: Record<string, string | undefined>) => productionProblems(loadConfig({ ...SAFE, ...change }));

  it('passes a config with real credentials, https links and NATS credentials', () => {
    expect(problemsWith({})).toEqual([]);
    expect(() => refuseUnsafeProduction(loadConfig(SAFE))).not.toThrow();
  });

  it('accepts an nkey seed file instead of a NATS user and password', () => {
    expect(problemsWith({ NATS_USER: undefined, NATS_PASSWORD: undefined, NATS_NKEY_SEED_FILE: '/run/secrets/nats.nk' })).toEqual([]);
  });

  it.each([
    ['the development CURSOR_SECRET', { CURSOR_SECRET: undefined }, /^CURSOR_SECRET: is the development default/],
    ['a CURSOR_SECRET under 32 characters', { CURSOR_SECRET: 'only-thirty-one-characters-long' }, /^CURSOR_SECRET: is 31 characters long; production needs at least 32$/],
    ['the development WEBHOOK_SECRET_KEY', { WEBHOOK_SECRET_KEY: undefined }, /^WEBHOOK_SECRET_KEY: is the development default/],
    ['webhooks allowed over http and to private addresses', { WEBHOOK_ALLOW_INSECURE: 'true' }, /^WEBHOOK_ALLOW_INSECURE: /],
    ["MinIO's default access key", { S3_ACCESS_KEY: 'minioadmin' }, /^S3_ACCESS_KEY: is a well-known default credential/],
    ["MinIO's default secret key", { S3_SECRET_KEY: 'minioadmin' }, /^S3_SECRET_KEY: is a well-known default credential/],
    ["the local S3 server's access key", { S3_ACCESS_KEY: 'S3RVER' }, /^S3_ACCESS_KEY: /],
    ["the local S3 server's secret key", { S3_SECRET_KEY: 'S3RVER' }, /^S3_SECRET_KEY: /],
    ['NATS without credentials', { NATS_USER: undefined, NATS_PASSWORD: undefined }, /^NATS_NKEY_SEED_FILE, NATS_USER, NATS_PASSWORD: NATS is reached without credentials/],
    ['links on a plain http S3_PUBLIC_URL', { S3_PUBLIC_URL: 'http://files.example.com' }, /^S3_PUBLIC_URL: is plain http \(http:\/\/files\.example\.com\).*S3_ALLOW_HTTP_LINKS=true$/],
    ['links on a plain http S3_ENDPOINT when S3_PUBLIC_URL is unset', { S3_PUBLIC_URL: undefined }, /^S3_ENDPOINT: links are signed for it \(S3_PUBLIC_URL is unset\) and it is plain http/],
  ])('refuses %s, in one line naming the setting', (_, change, line) => {
    const problems = problemsWith(change);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(line);
  });

  it('allows http links when S3_ALLOW_HTTP_LINKS=true says so', () => {
    expect(problemsWith({ S3_PUBLIC_URL: 'http://files.internal', S3_ALLOW_HTTP_LINKS: 'true' })).toEqual([]);
    expect(() => loadConfig({ S3_ALLOW_HTTP_LINKS: 'yes' })).toThrow(/S3_ALLOW_HTTP_LINKS: S3_ALLOW_HTTP_LINKS must be true or false/);
  });

  it('lists every unsafe setting of the defaults at once, never a secret', () => {
    const problems = productionProblems(loadConfig({ NODE_ENV: 'production' }));
    expect(problems.map((problem) => problem.split(':')[0])).toEqual(['CURSOR_SECRET', 'WEBHOOK_SECRET_KEY', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'NATS_NKEY_SEED_FILE, NATS_USER, NATS_PASSWORD', 'S3_ENDPOINT']);
    expect(problems.join('\n')).not.toContain('minioadmin');
    expect(problems.join('\n')).not.toContain('dev-only-cursor-secret');
  });

  it('is only enforced with NODE_ENV=production', () => {
    expect(() => refuseUnsafeProduction(loadConfig({}))).not.toThrow();
    expect(() => refuseUnsafeProduction(loadConfig({ NODE_ENV: 'development' }))).not.toThrow();
    expect(() => refuseUnsafeProduction(loadConfig({ ...SAFE, CURSOR_SECRET: undefined }))).toThrow(
      new ConfigError(['CURSOR_SECRET: is the development default; set a random secret of at least 32 characters'], 'Unsafe configuration for NODE_ENV=production'),
    );
  });
});

describe('webhook settings', () => {
  it('reads WEBHOOK_RETRY_SCHEDULE as milliseconds, and refuses what is not a list of durations', () => {
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE: '500ms,5s,2m,1h' }).webhookRetryScheduleMs).toEqual([500, 5000, 120_000, 3_600_000]);
    // The default retries a delivery for 24 h: as long as an endpoint may fail before it is disabled.
    const defaults = loadConfig({});
    expect(defaults.webhookRetryScheduleMs.reduce((sum, ms) => sum + ms, 0)).toBe(defaults.WEBHOOK_DISABLE_AFTER_SECONDS * 1000);
    for (const bad of ['5', '5s,', '5 s', '1d', '-5s', 's']) expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: bad })).toThrow(/WEBHOOK_RETRY_SCHEDULE: WEBHOOK_RETRY_SCHEDULE must be durations/);
    expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: '100h,100h' })).toThrow(/WEBHOOK_RETRY_SCHEDULE: adds up to more than 6 days/);
  });

  it('needs WEBHOOK_SECRET_KEY to be 32 bytes in base64, and never prints it', () => {
    expect(() => loadConfig({ WEBHOOK_SECRET_KEY: Buffer.alloc(16, 1).toString('base64') })).toThrow(/WEBHOOK_SECRET_KEY: .*\(got "\*\*\*"\)/);
    expect(loadConfig({ WEBHOOK_SECRET_KEY: Buffer.alloc(32, 1).toString('base64') }).WEBHOOK_SECRET_KEY).toHaveLength(44);
  });
});

describe('databaseRoleProblem', () => {
  it('accepts a role that owns nothing', () => {
    expect(databaseRoleProblem({ name: 'exports_app', superuser: false, owns: [] })).toBeUndefined();
  });

  it('refuses a superuser, naming DATABASE_URL', () => {
    expect(databaseRoleProblem({ name: 'postgres', superuser: true, owns: ['the database exports'] })).toMatch(/^DATABASE_URL: the role "postgres" is a superuser;/);
  });

  it('refuses an owner, saying what it owns', () => {
    expect(databaseRoleProblem({ name: 'exports_owner', superuser: false, owns: ['the schema public', '2 table(s) or sequence(s) (accounts, exports)'] })).toMatch(
      /^DATABASE_URL: the role "exports_owner" owns the schema public, 2 table\(s\) or sequence\(s\) \(accounts, exports\);/,
    );
  });
});

describe('DATABASE_MIGRATION_URL', () => {
  it('is optional, and must name the database of DATABASE_URL', () => {
    expect(loadConfig({}).DATABASE_MIGRATION_URL).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: 'postgres://app@db/exports', DATABASE_MIGRATION_URL: 'postgres://owner@db/exports' }).DATABASE_MIGRATION_URL).toBe('postgres://owner@db/exports');
    expect(() => loadConfig({ DATABASE_URL: 'postgres://app@db/exports', DATABASE_MIGRATION_URL: 'postgres://owner@db/other' })).toThrow(/DATABASE_MIGRATION_URL: must name the same database/);
    expect(() => loadConfig({ DATABASE_MIGRATION_URL: 'mysql://owner@db/exports' })).toThrow(/DATABASE_MIGRATION_URL:/);
  });
});
