import { ChildProcess, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { connect, ConnectionOptions, NatsConnection } from 'nats';
import { accountSubject, NatsNamespace, StreamKey } from '@exports/contracts';
import { NatsDeployment, natsConnectionOptions, NatsRole } from '@exports/platform';
import { AccountsRepository, CreatedAccount, migrateDatabase, openDatabase } from '@exports/database';
import { ObjectStorage } from '@exports/storage';
import { AppName, AppProcess } from './app-process';
import { freePort, localClusterDeployment, NatsClusterProcess, NatsServerProcess, reservedRangePort } from './nats-server-process';
import { recordResponse, ResponseOrigin } from './openapi-responses';
import { LocalS3Server, startLocalS3Server } from './s3-local-server';


const ROOT = resolve(__dirname, '../../..');
const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestStackOptions {
  apps: AppName[];
  /** Extra environment for every app, e.g. a short EXPORT_LINK_TTL_SECONDS. */
  env?: Record<string, string>;
  /**
   * Run an S3 server of this stack's own (in the test process, on a free port) instead of the
   * shared one, so the test can stop it ({@link TestStack.stopS3}) and start it again.
   */
  ownS3?: boolean;
  /**
   * Deploy the database as production does: tools/postgres/roles.sql makes an owner and an
   * app role of this stack's own, the owner runs the migrations, and the apps connect as the
   * app role ({@link TestStack.appDatabaseUrl}). Both roles are dropped by {@link TestStack.stop}.
   */
  databaseRoles?: boolean;
  /**
   * Run the stack's NATS as a JetStream cluster of this many nodes (3), each a nats-server with
   * its own config, ports and store: the apps get every node in NATS_URL and
   * NATS_STREAM_REPLICAS set to this number (unless `env` sets it). See {@link TestStack.killNatsNode}.
   */
  natsCluster?: number;
}

/** One message read back from a stream of this stack. */
export interface StreamMessage<T = any> {
  seq: number;
  /** The documented subject (namespace removed). */
  subject: string;
  data: T;
  msgId?: string;
}

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** The identity of the test's own NATS connection: every subject, like an operator's tools. */
const TEST_IDENTITY = 'test-operator';

/**
 * The real apps as child processes of the test, on a database, bucket and authenticated NATS
 * server of their own (nats-server on a spare port, from the config `npm run nats` would write,
 * each app with its own identity), so runs never collide. Apps run from `dist/` (`npm run build`).
 */
export class TestStack {
  readonly id = randomBytes(4).toString('hex');
  /** The test's own connection to the stack's database (a superuser): for queries and fixtures. */
  readonly databaseUrl: string;
  /** With `databaseRoles`: the owner's connection (migrations) and the app role's (the apps' DATABASE_URL). */
  readonly ownerDatabaseUrl: string;
  readonly appDatabaseUrl: string;
  readonly namespace: NatsNamespace;
  readonly bucket: string;
  /** The gateway's HTTP port: chosen by start(), kept across restarts. */
  port = 0;
  readonly env: Record<string, string>;
  private objectStorage: ObjectStorage;
  private readonly processes = new Map<AppName, AppProcess[]>();
  private readonly logs = new Map<AppName, string[]>();
  private readonly instanceLogs = new Map<ChildProcess, string[]>();
  /** One connection however many callers ask at once (a burst of publishes). */
  private nats?: Promise<NatsConnection>;
  private natsServer?: NatsServerProcess | NatsClusterProcess;
  private natsDirectory?: string;
  private readonly callers: NatsConnection[] = [];
  private s3?: { server?: LocalS3Server; port: number; directory: string };

  constructor(private readonly options: TestStackOptions) {
    this.databaseUrl = `postgres://postgres@127.0.0.1:5432/exports_test_${this.id}`;
    this.ownerDatabaseUrl = `postgres://exports_owner_${this.id}@127.0.0.1:5432/exports_test_${this.id}`;
    this.appDatabaseUrl = `postgres://exports_app_${this.id}@127.0.0.1:5432/exports_test_${this.id}`;
    this.namespace = new NatsNamespace(`t${this.id}`);
    this.bucket = `test-${this.id}`;
    // With an S3 server of its own, the endpoint is known once start() has started it.
    const s3 = options.ownS3 ? 'http://127.0.0.1:1' : process.env.S3_ENDPOINT;
    if (!s3) throw new Error('S3_ENDPOINT is not set: run the tests through jest (global setup starts the S3 server)');
    this.env = {
      DATABASE_URL: options.databaseRoles ? this.appDatabaseUrl : this.databaseUrl,
      NATS_URL: 'nats://127.0.0.1:1', // set by start(), once the stack's NATS server runs
      NATS_NAMESPACE: this.namespace.prefix,
      S3_ENDPOINT: s3,
      S3_ACCESS_KEY: process.env.S3_ACCESS_KEY ?? 'minioadmin',
      S3_SECRET_KEY: process.env.S3_SECRET_KEY ?? 'minioadmin',
      S3_BUCKET: this.bucket,
      PORT: '0', // set by start()
      EXPORT_ACK_WAIT_SECONDS: '5',
      WEBHOOK_ALLOW_INSECURE: 'true',
      WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
      OPS_PORT: '0',
      LOG_LEVEL: 'log',
      ...options.env,
    };
    this.objectStorage = this.storageAt(s3);
  }

  /** The bucket of this stack, as the test sees it. */
  get storage(): ObjectStorage {
    return this.objectStorage;
  }

  private storageAt(endpoint: string): ObjectStorage {
    return new ObjectStorage({
      endpoint,
      publicUrl: endpoint,
      accessKey: this.env.S3_ACCESS_KEY,
      secretKey: this.env.S3_SECRET_KEY,
      bucket: this.bucket,
    });
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    for (const app of this.options.apps) {
      if (!existsSync(AppProcess.entry(app))) throw new Error(`${AppProcess.entry(app)} is missing: run "npm run build" first`);
    }
    if (this.options.ownS3 && !this.s3) {
      this.s3 = { port: 0, directory: await mkdtemp(join(tmpdir(), `stack-s3-${this.id}-`)) };
      await this.startS3();
      this.objectStorage = this.storageAt(this.env.S3_ENDPOINT);
    }
    if (!this.natsServer) await this.startOwnNats();
    if (this.port === 0) {
      this.port = Number(this.options.env?.PORT) || (await reservedRangePort());
      this.env.PORT = String(this.port);
    }
    // The database is created and migrated once, before the apps race to do it.
    if (this.options.databaseRoles) {
      await this.createRoles();
      await migrateDatabase(this.ownerDatabaseUrl);
    } else {
      (await openDatabase(this.databaseUrl, 1)).destroy();
    }
    await Promise.all(this.options.apps.map((app) => this.startApp(app)));
    return this;
  }

  /** Runs tools/postgres/roles.sql as the admin: this stack's owner and app roles, and its database owned by the first. */
  private async createRoles(): Promise<void> {
    await promisify(execFile)('psql', [
      PG_ADMIN_URL,
      '-q',
      '-v', 'ON_ERROR_STOP=1',
      '-v', `owner=exports_owner_${this.id}`,
      '-v', `owner_password=${randomBytes(12).toString('hex')}`,
      '-v', `app=exports_app_${this.id}`,
      '-v', `app_password=${randomBytes(12).toString('hex')}`,
      '-v', `database=exports_test_${this.id}`,
      '-f', join(ROOT, 'tools', 'postgres', 'roles.sql'),
    ]);
  }

  /** Starts one more instance of an app and waits until it says it is ready. */
  async startApp(app: AppName, extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
    const lines = this.logs.get(app) ?? [];
    this.logs.set(app, lines);
    const own: string[] = [];
    const started = await AppProcess.start(app, {
      env: { PATH: process.env.PATH ?? '', ...this.env, NATS_NKEY_SEED_FILE: this.nkeySeedFile(app), ...extraEnv },
      readyTimeoutMs: 30_000,
      // Without the production memory flags: a dozen apps share two cores in a test run, and the
      // flags' extra collections slow them all; the bench measures the apps with them.
      nodeFlags: [],
      onLine: (line) => {
        lines.push(line);
        own.push(line);
      },
    });
    this.instanceLogs.set(started.child, own);
    this.processes.set(app, [...(this.processes.get(app) ?? []), started]);
    return started.child;
  }

  /** Sends a signal to every instance of an app and waits for them to exit. */
  async kill(app: AppName, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const instances = this.processes.get(app) ?? [];
    await Promise.all(instances.map((instance) => instance.stop(signal)));
    this.processes.set(app, []);
  }

  logsOf(app: AppName): string[] {
    return this.logs.get(app) ?? [];
  }

  /** Base URL of the internal ops port (/metrics, /health) of an app's first instance, read from its log. */
  opsUrl(app: AppName): string {
    const first = this.instances(app)[0];
    const line = (first ? this.logsOfInstance(first) : []).find((l) => l.includes('"message":"Ops endpoints listening"'));
    if (!line) throw new Error(`${app} has not logged its ops port`);
    return `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
  }

  /** GET on an app's ops port; the body parsed as JSON when it is. */
  async ops<T = any>(app: AppName, path: string): Promise<HttpResult<T>> {
    return this.request<T>('ops', this.opsUrl(app), path, 'GET', {});
  }

  /** The running instances of an app, oldest first. */
  instances(app: AppName): ChildProcess[] {
    return (this.processes.get(app) ?? []).map((instance) => instance.child);
  }

  /** The log lines of one instance (started by {@link startApp}). */
  logsOfInstance(child: ChildProcess): string[] {
    return this.instanceLogs.get(child) ?? [];
  }

  /**
   * Sends a signal to one instance and waits for it to exit (SIGKILL after `forceAfterMs`);
   * resolves with how it ended.
   */
  async killInstance(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL', forceAfterMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const instance = [...this.processes.values()].flat().find((candidate) => candidate.child === child);
    for (const [app, instances] of this.processes) this.processes.set(app, instances.filter((candidate) => candidate.child !== child));
    await instance?.stop(signal, forceAfterMs);
    return { code: child.exitCode, signal: child.signalCode };
  }

  /** Stops this stack's own S3 server (option `ownS3`): every request to it is refused until {@link startS3}. */
  async stopS3(): Promise<void> {
    if (!this.s3) throw new Error('stopS3 needs a TestStack with ownS3: true');
    await this.s3.server?.close();
    this.s3.server = undefined;
  }

  /** Starts this stack's own S3 server again, on the same port and with the same data. */
  async startS3(): Promise<void> {
    if (!this.s3) throw new Error('startS3 needs a TestStack with ownS3: true');
    if (this.s3.server) return;
    this.s3.server = await startLocalS3Server({
      port: this.s3.port,
      directory: this.s3.directory,
      accessKey: this.env.S3_ACCESS_KEY,
      secretKey: this.env.S3_SECRET_KEY,
      silent: true,
    });
    this.s3.port = Number(new URL(this.s3.server.endpoint).port);
    this.env.S3_ENDPOINT = this.s3.server.endpoint;
  }

  private async startOwnNats(): Promise<void> {
    this.natsDirectory = await mkdtemp(join(tmpdir(), `stack-nats-${this.id}-`));
    if (this.options.natsCluster) return this.startOwnNatsCluster(this.natsDirectory, this.options.natsCluster);
    const deployment = await NatsDeployment.open(this.natsDirectory, {
      host: '127.0.0.1',
      port: await freePort(),
      storeDir: join(this.natsDirectory, 'jetstream'),
      namespace: this.namespace.prefix,
    });
    await deployment.add(TEST_IDENTITY, NatsRole.Operator);
    this.natsServer = new NatsServerProcess(deployment);
    await this.natsServer.start();
    this.env.NATS_URL = this.natsServer.url;
  }

  private get deployment(): NatsDeployment {
    if (!this.natsServer) throw new Error('the stack has no NATS server yet: call start() first');
    return this.natsServer.deployment;
  }

  /** The seed file of a NATS identity of this stack (each app has one named after it). */
  nkeySeedFile(identity: string): string {
    return this.deployment.seedFile(identity);
  }

  /** Stops this stack's NATS server (an outage); {@link startNats} brings it back with its streams. */
  async stopNats(): Promise<void> {
    await this.natsServer?.stop();
  }

  async startNats(): Promise<void> {
    await this.natsServer?.start();
  }

  /** Option `natsCluster`: the nodes of a JetStream cluster, each with its own config, ports and store. */
  private async startOwnNatsCluster(directory: string, size: number): Promise<void> {
    const deployment = await localClusterDeployment(directory, this.namespace.prefix, size);
    await deployment.add(TEST_IDENTITY, NatsRole.Operator);
    this.natsServer = new NatsClusterProcess(deployment);
    await this.natsServer.start();
    this.env.NATS_URL = this.natsServer.url;
    if (!this.options.env?.NATS_STREAM_REPLICAS) this.env.NATS_STREAM_REPLICAS = String(size);
  }

  /** The stack's NATS cluster (option `natsCluster`): its nodes are `natsCluster.nodes`, named by `node`. */
  get natsCluster(): NatsClusterProcess {
    if (!(this.natsServer instanceof NatsClusterProcess)) throw new Error('the stack has no NATS cluster: use the natsCluster option and start() first');
    return this.natsServer;
  }

  /** Kills one node of the stack's NATS cluster (SIGKILL by default: a machine lost); the others go on. */
  async killNatsNode(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.natsCluster.node(name).stop(signal);
  }

  /** Starts a node of the cluster again, on its ports and with its store; it catches up with the others. */
  async startNatsNode(name: string): Promise<void> {
    await this.natsCluster.node(name).start();
  }

  /** A NATS connection of the test with every permission (opened once, closed by {@link stop}). */
  async natsConnection(): Promise<NatsConnection> {
    this.nats ??= this.connectAs(TEST_IDENTITY);
    return this.nats;
  }

  /**
   * A connection as a new identity of `role`, scoped to `accounts` for the caller roles: the
   * identity is added to the server's config and the server reloaded, as an operator would.
   */
  async natsCaller(name: string, role: NatsRole, accounts?: string[]): Promise<NatsConnection> {
    await this.deployment.add(name, role, accounts);
    await this.natsServer!.reload();
    const connection = await this.connectAs(name);
    this.callers.push(connection);
    return connection;
  }

  /** A connection as an existing identity of this stack (an app's, or one made by {@link natsCaller}). */
  async connectAs(identity: string): Promise<NatsConnection> {
    return connect({ ...this.natsOptions(identity), reconnectTimeWait: 250 });
  }

  /** Connection options of an identity of this stack (the test's own by default), e.g. for Nest's NATS client. */
  natsOptions(identity = TEST_IDENTITY): ConnectionOptions {
    return natsConnectionOptions({ NATS_URL: this.env.NATS_URL, NATS_NKEY_SEED_FILE: this.nkeySeedFile(identity) }, identity, `test-${identity}`);
  }

  /** Every message now in one of this stack's streams, oldest first (e.g. `exportEvents`). */
  async streamMessages<T = any>(key: StreamKey): Promise<StreamMessage<T>[]> {
    const jsm = await (await this.natsConnection()).jetstreamManager();
    const name = this.namespace.stream(key).name;
    let state: { first_seq: number; last_seq: number; messages: number };
    try {
      state = (await jsm.streams.info(name)).state;
    } catch (error) {
      if (/not found/i.test(String(error))) return [];
      throw error;
    }
    const messages: StreamMessage<T>[] = [];
    if (!state.messages) return messages;
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const message = await jsm.streams.getMessage(name, { seq }).catch(() => undefined);
      if (!message) continue;
      messages.push({ seq, subject: this.namespace.unprefix(message.subject), data: message.json<T>(), msgId: message.header?.get('Nats-Msg-Id') || undefined });
    }
    return messages;
  }

  async createAccount(name = 'test account'): Promise<CreatedAccount> {
    const dataSource = await openDatabase(this.databaseUrl, 1);
    try {
      return await new AccountsRepository(dataSource).createAccount(name);
    } finally {
      await dataSource.destroy();
    }
  }

  /**
   * A request to the gateway: the first instance, or the one at `baseUrl` (another instance, started
   * by {@link startApp} on a PORT of its own), or, with `via`, a proxy in front of it (e.g. a
   * validating proxy). Every response is recorded; the e2e setup checks those of the gateway
   * against docs/openapi.json after the file's tests (`checkRecordedResponses`).
   */
  async http<T = any>(
    method: string,
    path: string,
    options: { apiKey?: string; body?: unknown; rawBody?: string | Uint8Array; headers?: Record<string, string>; baseUrl?: string; via?: string; redirect?: 'follow' | 'manual' } = {},
  ): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.apiKey !== undefined) headers['X-Api-Key'] = options.apiKey;
    let body: string | Uint8Array | undefined = options.rawBody;
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    } else if (body !== undefined) headers['Content-Type'] ??= 'application/json';
    // `redirect: 'manual'` answers a redirect as it is (status and Location) instead of following it.
    const redirect = options.redirect;
    if (options.via) return this.request<T>('proxy', options.via, path, method, { headers, body, redirect });
    return this.request<T>('gateway', options.baseUrl ?? this.baseUrl, path, method, { headers, body, redirect });
  }

  private async request<T>(
    origin: ResponseOrigin,
    base: string,
    path: string,
    method: string,
    init: { headers?: Record<string, string>; body?: string | Uint8Array; redirect?: 'follow' | 'manual' },
  ): Promise<HttpResult<T>> {
    const response = await fetch(base + path, { method, ...init });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    recordResponse({ origin, method: method.toUpperCase(), path, status: response.status, headers: Object.fromEntries(response.headers), body: parsed });
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  /** Polls GET /exports until the export leaves PENDING (or the time is up). */
  async waitForExport(apiKey: string, exportId: string, timeoutMs = 60_000, until: (resource: any) => boolean = (r) => r.status !== 'PENDING'): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const resource = await this.findExport(apiKey, exportId);
      if (resource && until(resource)) return resource;
      if (Date.now() > deadline) throw new Error(`Export ${exportId} still ${JSON.stringify(resource)} after ${timeoutMs} ms`);
      await sleep(200);
    }
  }

  async findExport(apiKey: string, exportId: string): Promise<any> {
    for (let page = 0; ; page++) {
      const { body } = await this.http('GET', `/exports?limit=100&page=${page}`, { apiKey });
      const found = body.items?.find((item: { exportId: string }) => item.exportId === exportId);
      if (found || !body.items?.length) return found;
    }
  }

  /** Publishes a platform event of `accountId` (the subject's last token) through JetStream. */
  async publishFor(accountId: string, subject: string, payload: unknown, msgID?: string): Promise<void> {
    await this.publish(accountSubject(subject, accountId), payload, msgID);
  }

  /** Publishes on a subject (documented, namespace added here) through JetStream. */
  async publish(subject: string, payload: unknown, msgID?: string): Promise<void> {
    const js = (await this.natsConnection()).jetstream();
    await js.publish(this.namespace.subject(subject), typeof payload === 'string' ? payload : JSON.stringify(payload), msgID ? { msgID } : undefined);
  }

  async query<T = any>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** Stops the apps and removes the database, streams and bucket of this stack. */
  async stop(): Promise<void> {
    // TEST_STACK_LOG_DIR=<dir> keeps each app's log lines, to read after a failure.
    const logDir = process.env.TEST_STACK_LOG_DIR;
    if (logDir) {
      await mkdir(logDir, { recursive: true });
      for (const [app, lines] of this.logs) await writeFile(join(logDir, `${this.id}-${app}.log`), lines.join('\n') + '\n');
    }
    await Promise.all([...this.processes.keys()].map((app) => this.kill(app, 'SIGTERM')));
    const own = await this.nats?.catch(() => undefined);
    for (const connection of [own, ...this.callers]) await connection?.close().catch(() => undefined);
    await this.natsServer?.stop();
    if (this.natsDirectory) await rm(this.natsDirectory, { recursive: true, force: true });
    await this.storage.destroyBucket().catch(() => undefined);
    if (this.s3) {
      await this.s3.server?.close().catch(() => undefined);
      await rm(this.s3.directory, { recursive: true, force: true });
      this.s3 = undefined;
    }
    const admin = new Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(`exports_test_${this.id}`)} WITH (FORCE)`).catch(() => undefined);
    if (this.options.databaseRoles) {
      // Their grants and default privileges lived in the database just dropped.
      for (const role of [`exports_app_${this.id}`, `exports_owner_${this.id}`]) await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(role)}`).catch(() => undefined);
    }
    await admin.end();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}
