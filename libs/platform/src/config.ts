import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, validateSync } from 'class-validator';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value);
const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);
const URL_OPTIONS = { require_tld: false, require_protocol: true };

/** The CURSOR_SECRET the code ships with: fine on a laptop, refused with NODE_ENV=production. */
export const DEVELOPMENT_CURSOR_SECRET = 'dev-only-cursor-secret-change-me';
/** The WEBHOOK_SECRET_KEY the code ships with (base64 of 32 bytes): fine on a laptop, refused with NODE_ENV=production. */
export const DEVELOPMENT_WEBHOOK_SECRET_KEY = Buffer.from('dev-only-webhook-key-change-me!!').toString('base64');
/**
 * The default WEBHOOK_RETRY_SCHEDULE: 9 retries after the first attempt, adding up to 24 h exactly.
 * A delivery is retried within the schedule's total from its creation (jitter never pushes an
 * attempt past it); one whose every attempt failed, with no success of its endpoint meanwhile,
 * disables the endpoint: it has failed for 24 h.
 */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = '10s,50s,4m,15m,40m,2h,5h,8h,8h';
/** The longest a webhook delivery may be retried: the WEBHOOK_DELIVERIES stream keeps its jobs a week. */
const WEBHOOK_RETRY_MAX_TOTAL_SECONDS = 6 * 86_400;
/** Credentials everyone knows: MinIO's root default and the local S3 server's. */
const DEFAULT_S3_CREDENTIALS = ['minioadmin', 'S3RVER'];

/**
 * Every setting of every app, read once from the environment and validated at start.
 * The only place that reads `process.env` is {@link loadConfig}.
 */
export class AppConfig {
  @IsString()
  @Matches(/^postgres(ql)?:\/\/[^\s]+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/exports';

  /** The owner's connection: when set, it creates the database and runs the migrations, and DATABASE_URL only serves the app. */
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\/[^\s]+$/, { message: 'DATABASE_MIGRATION_URL must be a postgres:// URL' })
  DATABASE_MIGRATION_URL?: string;

  /** `production` turns on the refusal of unsafe settings ({@link productionProblems}). */
  @IsOptional() @IsString()
  NODE_ENV?: string;

  @IsString()
  @Matches(/^(nats|tls):\/\/[^\s]+(,(nats|tls):\/\/[^\s]+)*$/, { message: 'NATS_URL must be one or more nats:// URLs separated by commas' })
  NATS_URL = 'nats://127.0.0.1:4222';

  /** File holding this app's NATS nkey seed (`SU...`), written by `npm run nats -- init`. */
  @IsOptional() @IsString() @Matches(/^\S+$/, { message: 'NATS_NKEY_SEED_FILE must be a file path' })
  NATS_NKEY_SEED_FILE?: string;

  /** User and password, for a NATS server set up with them instead of nkeys. */
  @IsOptional() @IsString() @Matches(/^\S+$/, { message: 'NATS_USER must not be empty' })
  NATS_USER?: string;

  @IsOptional() @IsString() @Matches(/^\S+$/, { message: 'NATS_PASSWORD must not be empty' })
  NATS_PASSWORD?: string;

  /** TLS towards NATS (passed through to the client): CA bundle, and a client certificate and key for mutual TLS. */
  @IsOptional() @IsString() NATS_TLS_CA_FILE?: string;
  @IsOptional() @IsString() NATS_TLS_CERT_FILE?: string;
  @IsOptional() @IsString() NATS_TLS_KEY_FILE?: string;

  /**
   * Copies of each JetStream stream the apps create: 1 on a single server, 3 on a 3-node cluster
   * (a stream then survives the loss of one node). Streams that exist are moved to this count.
   */
  @Transform(toInt) @IsInt({ message: 'NATS_STREAM_REPLICAS must be an integer from 1 to 5' }) @Min(1) @Max(5)
  NATS_STREAM_REPLICAS = 1;

  /** Prefix for every subject, stream and consumer; empty in production, unique per test run. */
  @Matches(/^[A-Za-z0-9_-]*$/, { message: 'NATS_NAMESPACE may only hold letters, digits, "_" and "-"' })
  NATS_NAMESPACE = '';

  /** Signs history browsing cursors so a tampered one is refused; set your own in production. */
  @IsString() @Matches(/^\S{16,}$/, { message: 'CURSOR_SECRET must be at least 16 characters without spaces' })
  CURSOR_SECRET = DEVELOPMENT_CURSOR_SECRET;

  @IsUrl(URL_OPTIONS, { message: 'S3_ENDPOINT must be an http(s) URL such as http://127.0.0.1:9000' })
  S3_ENDPOINT = 'http://127.0.0.1:9000';

  @IsString() @Matches(/^\S+$/, { message: 'S3_ACCESS_KEY must not be empty' })
  S3_ACCESS_KEY = 'minioadmin';

  @IsString() @Matches(/^\S+$/, { message: 'S3_SECRET_KEY must not be empty' })
  S3_SECRET_KEY = 'minioadmin';

  @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'S3_BUCKET must be a valid bucket name (3-63 lowercase letters, digits, "." or "-")' })
  S3_BUCKET = 'exports';

  /** What presigned links point at; defaults to S3_ENDPOINT. */
  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'S3_PUBLIC_URL must be an http(s) URL' })
  S3_PUBLIC_URL?: string;

  /** Lets links be minted over plain http in production (a private network, TLS ended in front of S3). */
  @Transform(toBoolean) @IsBoolean({ message: 'S3_ALLOW_HTTP_LINKS must be true or false' })
  S3_ALLOW_HTTP_LINKS = false;

  @IsString() @Matches(/^[a-z0-9-]+$/, { message: 'S3_REGION must look like us-east-1' })
  S3_REGION = 'us-east-1';

  /**
   * Upload part size; bounds the memory of a streamed upload (two parts). S3's smallest by
   * default: 8 took a JSON Lines export to 151-153 MB of peak RSS, 5 to 133-143 MB. A file is at
   * most 10,000 parts (48.8 GiB at 5).
   */
  @Transform(toInt) @IsInt() @Min(5) @Max(512)
  S3_PART_SIZE_MB = 5;

  @Transform(toInt) @IsInt({ message: 'PORT must be an integer' }) @Min(0) @Max(65535)
  PORT = 3000;

  /** Port of an app's /metrics and /health endpoints (0: any free port); each app has its own default. */
  @IsOptional() @Transform(toInt) @IsInt({ message: 'OPS_PORT must be an integer' }) @Min(0) @Max(65535)
  OPS_PORT?: number;

  @Transform(toInt) @IsInt() @Min(1) @Max(604800)
  EXPORT_LINK_TTL_SECONDS = 3600;

  @Transform(toInt) @IsInt() @Min(1)
  EXPORT_RETENTION_SECONDS = 604800;

  @Transform(toInt) @IsInt() @Min(1) @Max(100)
  EXPORT_MAX_ATTEMPTS = 3;

  @Transform(toInt) @IsInt() @Min(1)
  EXPORT_MAX_OPEN_PER_ACCOUNT = 5;

  /** How long a run may go without a heartbeat before JetStream hands it to another worker. */
  @Transform(toInt) @IsInt() @Min(1) @Max(3600)
  EXPORT_ACK_WAIT_SECONDS = 30;

  /** Exports one worker instance runs at the same time. */
  @Transform(toInt) @IsInt() @Min(1) @Max(32)
  EXPORT_CONCURRENCY = 2;

  /**
   * Attempts of one account's exports running at once, across every worker instance (counted in
   * the database); a run over the account's share is handed back to the bus, so no account starves another.
   */
  @Transform(toInt) @IsInt() @Min(1) @Max(32)
  EXPORT_ACCOUNT_CONCURRENCY = 1;

  /** Finished exports (rows and files) are removed this many days after their last outcome. */
  @Transform(toInt) @IsInt() @Min(1) @Max(3650)
  EXPORT_RECORD_RETENTION_DAYS = 90;

  /** Longest date range of a history or delivery-report request. */
  @Transform(toInt) @IsInt() @Min(1) @Max(3660)
  EXPORT_MAX_RANGE_DAYS = 366;

  /** How often the sweeper expires links, purges files and looks for stalled runs. */
  @Transform(toInt) @IsInt() @Min(1) @Max(3600)
  EXPORT_SWEEP_INTERVAL_SECONDS = 30;

  /** A PENDING run silent this long is put back on the bus, or FAILED (TIMEOUT) when its attempts are used up. */
  @Transform(toInt) @IsInt() @Min(5)
  EXPORT_STALE_RUN_SECONDS = 180;

  /** gzip level of the csv.gz and jsonl.gz exports: 1 is the fastest, 9 the smallest (docs/BENCHMARKS.md measures them). */
  @Transform(toInt) @IsInt() @Min(1) @Max(9)
  EXPORT_GZIP_LEVEL = 1;

  /** How long an estimate may count the rows exactly before it answers the planner's estimate instead. */
  @Transform(toInt) @IsInt() @Min(1) @Max(60000)
  EXPORT_ESTIMATE_TIMEOUT_MS = 2000;

  /**
   * An estimate counts the rows exactly only when the planner expects at most this many (0: never).
   * A million rows counted in 0.1-0.2 s on the bench machine, about 1 s with the join of delivery
   * reports to messages: within EXPORT_ESTIMATE_TIMEOUT_MS.
   */
  @Transform(toInt) @IsInt({ message: 'EXPORT_ESTIMATE_EXACT_MAX_ROWS must be an integer from 0 to 1000000000' }) @Min(0) @Max(1_000_000_000)
  EXPORT_ESTIMATE_EXACT_MAX_ROWS = 1_000_000;

  /** On SIGTERM, how long a run in progress may go on before it is handed back to another worker. */
  @Transform(toInt) @IsInt() @Min(0) @Max(600)
  EXPORT_SHUTDOWN_GRACE_SECONDS = 10;

  /**
   * Ingestion: first delay before a batch that failed for a reason other than its data (database,
   * NATS) is delivered again; each further delivery doubles it, up to INGEST_RETRY_MAX_MS. Such
   * failures never make an event be given up.
   */
  @Transform(toInt) @IsInt() @Min(10) @Max(600_000)
  INGEST_RETRY_BASE_MS = 1000;

  @Transform(toInt) @IsInt() @Min(10) @Max(3_600_000)
  INGEST_RETRY_MAX_MS = 60_000;

  /**
   * Ingestion: platform events pulled, validated and written per batch (two batches in flight).
   * 1000 drained 200,000 message events 25-30% faster than 500 (docs/BENCHMARKS.md); a batch
   * PostgreSQL refuses is written again one event at a time, so larger batches cost more then.
   */
  @Transform(toInt) @IsInt({ message: 'INGEST_BATCH_SIZE must be an integer from 1 to 5000' }) @Min(1) @Max(5_000)
  INGEST_BATCH_SIZE = 1_000;

  /** Requests one API key may make per window, across all gateway instances (counted in PostgreSQL). */
  @Transform(toInt) @IsInt() @Min(1)
  RATE_LIMIT_REQUESTS = 600;

  @Transform(toInt) @IsInt() @Min(1) @Max(3600)
  RATE_LIMIT_WINDOW_SECONDS = 60;

  /** Longest statement on the apps' pooled connections; a request that needs more is a 503. The export COPY and migrations lift it. */
  @Transform(toInt) @IsInt({ message: 'DATABASE_STATEMENT_TIMEOUT_MS must be an integer' }) @Min(100) @Max(3_600_000)
  DATABASE_STATEMENT_TIMEOUT_MS = 15_000;

  /**
   * How long a gateway instance trusts a valid API key it looked up (0: look every request up).
   * A revocation by the admin CLI reaches every instance at once over NATS; this bounds the
   * delay only for an instance that missed it.
   */
  @Transform(toInt) @IsInt({ message: 'API_KEY_CACHE_TTL_MS must be an integer from 0 to 60000' }) @Min(0) @Max(60_000)
  API_KEY_CACHE_TTL_MS = 5_000;

  /** Valid API keys a gateway instance keeps in that cache at most (the oldest goes first). */
  @Transform(toInt) @IsInt({ message: 'API_KEY_CACHE_MAX_ENTRIES must be an integer from 1 to 1000000' }) @Min(1) @Max(1_000_000)
  API_KEY_CACHE_MAX_ENTRIES = 10_000;

  /** Requests with a missing, unknown or revoked API key one client address may make per minute before 429. */
  @Transform(toInt) @IsInt({ message: 'AUTH_FAILURES_PER_MINUTE must be an integer' }) @Min(1)
  AUTH_FAILURES_PER_MINUTE = 30;

  /**
   * Proxies in front of the gateway whose X-Forwarded-For is believed (0: none; the client
   * address is the TCP peer). With n, the address is the n-th from the right of X-Forwarded-For.
   */
  @Transform(toInt) @IsInt({ message: 'TRUST_PROXY must be the number of proxies in front of the gateway (0 for none)' }) @Min(0) @Max(10)
  TRUST_PROXY = 0;

  /**
   * Encrypts the signing secrets of webhook endpoints in the database (AES-256-GCM): base64 of 32
   * random bytes (`openssl rand -base64 32`). Changing it makes the stored secrets unreadable.
   */
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'WEBHOOK_SECRET_KEY must be the base64 of 32 bytes (openssl rand -base64 32)' })
  WEBHOOK_SECRET_KEY = DEVELOPMENT_WEBHOOK_SECRET_KEY;

  /** Lets webhook URLs be plain http and reach loopback addresses (never private or metadata ones): development and tests only. */
  @Transform(toBoolean) @IsBoolean({ message: 'WEBHOOK_ALLOW_INSECURE must be true or false' })
  WEBHOOK_ALLOW_INSECURE = false;

  /** Webhook endpoints one account may have. */
  @Transform(toInt) @IsInt({ message: 'WEBHOOK_MAX_PER_ACCOUNT must be an integer from 1 to 1000' }) @Min(1) @Max(1000)
  WEBHOOK_MAX_PER_ACCOUNT = 10;

  /** How long one delivery attempt may take, connection to last byte read. */
  @Transform(toInt) @IsInt({ message: 'WEBHOOK_TIMEOUT_MS must be an integer from 100 to 60000' }) @Min(100) @Max(60_000)
  WEBHOOK_TIMEOUT_MS = 10_000;

  /** Deliveries one export-worker instance makes at the same time (apart from the export runs). */
  @Transform(toInt) @IsInt({ message: 'WEBHOOK_CONCURRENCY must be an integer from 1 to 256' }) @Min(1) @Max(256)
  WEBHOOK_CONCURRENCY = 8;

  /**
   * Delays before each retry of a failed delivery, comma-separated durations (`500ms`, `5s`, `2m`,
   * `1h`), each stretched or shrunk by up to 20 % at random; once they are spent the delivery is FAILED.
   */
  @Matches(/^\d+(ms|s|m|h)(,\d+(ms|s|m|h))*$/, { message: 'WEBHOOK_RETRY_SCHEDULE must be durations separated by commas, such as 5s,30s,2m,1h' })
  WEBHOOK_RETRY_SCHEDULE = DEFAULT_WEBHOOK_RETRY_SCHEDULE;

  /**
   * A PENDING webhook delivery overdue this long (past its next retry, or its creation when never
   * tried) has lost its job: the housekeeping sweep publishes the job again.
   */
  @Transform(toInt) @IsInt({ message: 'WEBHOOK_REDRIVE_AFTER_SECONDS must be an integer from 1 to 86400' }) @Min(1) @Max(86_400)
  WEBHOOK_REDRIVE_AFTER_SECONDS = 300;

  /** An endpoint whose every attempt failed for this long is disabled. */
  @Transform(toInt) @IsInt({ message: 'WEBHOOK_DISABLE_AFTER_SECONDS must be an integer from 1 to 604800' }) @Min(1) @Max(604_800)
  WEBHOOK_DISABLE_AFTER_SECONDS = 86_400;

  @IsIn(['fatal', 'error', 'warn', 'log', 'debug', 'verbose'], { message: 'LOG_LEVEL must be one of fatal, error, warn, log, debug, verbose' })
  LOG_LEVEL = 'log';

  get s3PublicUrl(): string {
    return this.S3_PUBLIC_URL ?? this.S3_ENDPOINT;
  }

  /** WEBHOOK_RETRY_SCHEDULE in milliseconds. */
  get webhookRetryScheduleMs(): number[] {
    return parseDurations(this.WEBHOOK_RETRY_SCHEDULE);
  }

  get isProduction(): boolean {
    return this.NODE_ENV === 'production';
  }
}

/** Settings without a default (they are not own properties of a fresh AppConfig). */
const OPTIONAL_SETTINGS = ['DATABASE_MIGRATION_URL', 'NODE_ENV', 'NATS_NKEY_SEED_FILE', 'NATS_USER', 'NATS_PASSWORD', 'NATS_TLS_CA_FILE', 'NATS_TLS_CERT_FILE', 'NATS_TLS_KEY_FILE'];

export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    heading = 'Invalid configuration',
  ) {
    super(`${heading}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment; throws {@link ConfigError} naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const defaults = new AppConfig();
  const known = Object.keys(defaults).concat('S3_PUBLIC_URL', 'OPS_PORT', ...OPTIONAL_SETTINGS);
  const given: Record<string, string> = {};
  for (const key of known) {
    const value = env[key];
    if (value !== undefined && value !== '') given[key] = value;
  }
  const config = plainToInstance(AppConfig, { ...defaults, ...given });
  const problems = validateSync(config, { forbidUnknownValues: true }).flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) => `${error.property}: ${message} (got "${redactValue(error.property, given[error.property])}")`),
  );
  if (config.EXPORT_RETENTION_SECONDS < config.EXPORT_LINK_TTL_SECONDS) {
    problems.push('EXPORT_RETENTION_SECONDS: must be at least EXPORT_LINK_TTL_SECONDS, or links would outlive their files');
  }
  if (config.EXPORT_RECORD_RETENTION_DAYS * 86_400 < config.EXPORT_RETENTION_SECONDS) {
    problems.push('EXPORT_RECORD_RETENTION_DAYS: must cover EXPORT_RETENTION_SECONDS, or rows would be removed while their files are kept');
  }
  if (config.INGEST_RETRY_MAX_MS < config.INGEST_RETRY_BASE_MS) {
    problems.push('INGEST_RETRY_MAX_MS: must be at least INGEST_RETRY_BASE_MS');
  }
  if (!problems.some((p) => p.startsWith('WEBHOOK_RETRY_SCHEDULE')) && config.webhookRetryScheduleMs.reduce((sum, ms) => sum + ms, 0) > WEBHOOK_RETRY_MAX_TOTAL_SECONDS * 1000) {
    problems.push(`WEBHOOK_RETRY_SCHEDULE: adds up to more than ${WEBHOOK_RETRY_MAX_TOTAL_SECONDS / 86_400} days, longer than the delivery jobs are kept`);
  }
  if (Boolean(config.NATS_USER) !== Boolean(config.NATS_PASSWORD)) {
    problems.push('NATS_USER, NATS_PASSWORD: set both or neither');
  }
  if (config.NATS_NKEY_SEED_FILE && config.NATS_USER) {
    problems.push('NATS_NKEY_SEED_FILE, NATS_USER: choose one way to authenticate to NATS');
  }
  if (Boolean(config.NATS_TLS_CERT_FILE) !== Boolean(config.NATS_TLS_KEY_FILE)) {
    problems.push('NATS_TLS_CERT_FILE, NATS_TLS_KEY_FILE: a client certificate needs its key, and the key its certificate');
  }
  if (config.DATABASE_MIGRATION_URL && databaseName(config.DATABASE_MIGRATION_URL) !== databaseName(config.DATABASE_URL)) {
    problems.push('DATABASE_MIGRATION_URL: must name the same database as DATABASE_URL (only the role differs)');
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/**
 * What makes a valid config unsafe to run in production, one line per setting, naming it:
 * development secrets and credentials, NATS without credentials, links over plain http.
 * (The database role is checked once connected: {@link databaseRoleProblem}.)
 */
export function productionProblems(config: AppConfig): string[] {
  const problems: string[] = [];
  if (config.CURSOR_SECRET === DEVELOPMENT_CURSOR_SECRET) {
    problems.push('CURSOR_SECRET: is the development default; set a random secret of at least 32 characters');
  } else if (config.CURSOR_SECRET.length < 32) {
    problems.push(`CURSOR_SECRET: is ${config.CURSOR_SECRET.length} characters long; production needs at least 32`);
  }
  if (config.WEBHOOK_SECRET_KEY === DEVELOPMENT_WEBHOOK_SECRET_KEY) {
    problems.push('WEBHOOK_SECRET_KEY: is the development default; set the base64 of 32 random bytes (openssl rand -base64 32)');
  }
  if (config.WEBHOOK_ALLOW_INSECURE) {
    problems.push('WEBHOOK_ALLOW_INSECURE: lets webhooks go over plain http and to loopback addresses; leave it false in production');
  }
  for (const name of ['S3_ACCESS_KEY', 'S3_SECRET_KEY'] as const) {
    if (DEFAULT_S3_CREDENTIALS.includes(config[name])) {
      problems.push(`${name}: is a well-known default credential (MinIO's root or the local S3 server's); use a user of your own, limited to the bucket`);
    }
  }
  if (!config.NATS_NKEY_SEED_FILE && !(config.NATS_USER && config.NATS_PASSWORD)) {
    problems.push('NATS_NKEY_SEED_FILE, NATS_USER, NATS_PASSWORD: NATS is reached without credentials; set a seed file, or a user and password');
  }
  if (new URL(config.s3PublicUrl).protocol === 'http:' && !config.S3_ALLOW_HTTP_LINKS) {
    const source = config.S3_PUBLIC_URL ? 'S3_PUBLIC_URL: is' : 'S3_ENDPOINT: links are signed for it (S3_PUBLIC_URL is unset) and it is';
    problems.push(`${source} plain http (${config.s3PublicUrl}), so download links would travel unencrypted; use https, or set S3_ALLOW_HTTP_LINKS=true`);
  }
  return problems;
}

/** With NODE_ENV=production, throws a {@link ConfigError} listing {@link productionProblems}. */
export function refuseUnsafeProduction(config: AppConfig): void {
  if (!config.isProduction) return;
  const problems = productionProblems(config);
  if (problems.length) throw new ConfigError(problems, 'Unsafe configuration for NODE_ENV=production');
}

/** What the connected database role may do beyond the grants an app needs. */
export interface DatabaseRole {
  name: string;
  superuser: boolean;
  /** What it owns (or owns through a role it is a member of): the database, the schema, tables. */
  owns: string[];
}

/** The DATABASE_URL line of a production refusal, or undefined when the role is least-privilege. */
export function databaseRoleProblem(role: DatabaseRole): string | undefined {
  const why = role.superuser ? 'is a superuser' : role.owns.length ? `owns ${role.owns.join(', ')}` : undefined;
  if (!why) return undefined;
  return `DATABASE_URL: the role "${role.name}" ${why}; give the apps a role with only the grants they use (tools/postgres/roles.sql), and the owner to DATABASE_MIGRATION_URL`;
}

const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `5s,2m,1h` in milliseconds (the format of WEBHOOK_RETRY_SCHEDULE, checked by its pattern). */
export function parseDurations(list: string): number[] {
  return list.split(',').map((item) => {
    const [, amount, unit] = /^(\d+)(ms|s|m|h)$/.exec(item.trim()) ?? [];
    if (!unit) throw new Error(`"${item}" is not a duration such as 5s, 2m or 1h`);
    return Number(amount) * DURATION_UNIT_MS[unit];
  });
}

function databaseName(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  } catch {
    return url;
  }
}

function redactValue(name: string, value: string | undefined): string {
  if (value === undefined) return '(default)';
  return /SECRET|PASSWORD|KEY|DATABASE_/.test(name) ? '***' : value;
}
