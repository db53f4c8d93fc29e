import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { AccountsRepository, openDatabase } from '@exports/database';
import { AppConfig, ConfigError, loadConfig, NatsDeployment } from '@exports/platform';
import { AppProcess, LocalS3Server, NatsServerProcess, startLocalS3Server } from '@exports/testing';
import { seedDemo } from '../seed';

/**
 * `npm start`: the whole stack in the foreground on this machine. Starts the local
 * S3 server when S3_ENDPOINT is unset, an authenticated NATS server of its own when
 * NATS_URL is unset (dev credentials in tmp/dev-stack/nats), creates and migrates the database, makes a
 * demo API key, starts the three apps, prints how to try it; Ctrl-C stops it all.
 */
const ROOT = resolve(__dirname, '../../..'); // dist/tools/stack → repository root
const APPS = ['api-gateway', 'export-worker', 'history-service'] as const;
const COLOURS = ['\x1b[36m', '\x1b[35m', '\x1b[33m'];
/** Same seed every start: re-seeding the demo account replays the same events, it does not add more. */
const DEMO_CONTACTS = 200;
const DEMO_MESSAGES = 1000;
/** Our own NATS when NATS_URL is unset: beside the machine's (4222), with generated dev identities. */
const DEV_NATS_PORT = 4223;
const DEV_NATS_DIR = join(ROOT, 'tmp', 'dev-stack', 'nats');
/** The stack's WEBHOOK_SECRET_KEY, made once and kept, so the secrets sealed under it still open after a restart. */
const DEV_WEBHOOK_KEY_FILE = join(ROOT, 'tmp', 'dev-stack', 'webhook-secret-key');

async function devWebhookSecretKey(): Promise<string> {
  const kept = await readFile(DEV_WEBHOOK_KEY_FILE, 'utf8').catch(() => '');
  if (kept.trim()) return kept.trim();
  const key = randomBytes(32).toString('base64');
  await mkdir(join(ROOT, 'tmp', 'dev-stack'), { recursive: true });
  await writeFile(DEV_WEBHOOK_KEY_FILE, key + '\n', { mode: 0o600 });
  return key;
}

const children: AppProcess[] = [];
let s3: LocalS3Server | undefined;
let nats: NatsServerProcess | undefined;
let stopping = false;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function reachable(url: string, fallbackPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((done) => {
    const socket = createConnection({ host: hostname, port: Number(port || fallbackPort) });
    socket.setTimeout(2000);
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
    socket.once('timeout', () => (socket.destroy(), done(false)));
  });
}

/** One readable line per JSON log line: time, app, level, message and the ids that matter. */
function pretty(app: string, colour: string, line: string): string {
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const ids = ['exportId', 'accountId', 'errorId', 'code']
      .filter((key) => entry[key] !== undefined)
      .map((key) => `${key}=${String(entry[key])}`)
      .join(' ');
    const level = entry.level === 'log' ? '' : ` ${String(entry.level).toUpperCase()}`;
    return `${colour}${app.padEnd(15)}\x1b[0m${level} ${String(entry.message)}${ids ? `  ${ids}` : ''}`;
  } catch {
    return `${colour}${app.padEnd(15)}\x1b[0m ${line}`;
  }
}

async function startApp(app: (typeof APPS)[number], index: number, env: NodeJS.ProcessEnv): Promise<void> {
  // Kept before it is ready, so that a failure of another app stops this one too.
  const started = AppProcess.spawn(app, { env, onLine: (line) => say(pretty(app, COLOURS[index], line)) });
  children.push(started);
  started.child.once('exit', (code) => {
    if (stopping) return;
    say(`${app} exited with code ${code}`);
    void stop(1);
  });
  await started.ready;
}

async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('\nStopping...');
  await Promise.all(children.map((child) => child.stop('SIGTERM')));
  await s3?.close();
  await nats?.stop();
  process.exit(code);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  const env = { ...process.env };
  // Webhooks to a receiver on this machine (http, loopback) are what a try-out needs.
  env.WEBHOOK_ALLOW_INSECURE ??= 'true';
  env.WEBHOOK_SECRET_KEY ??= await devWebhookSecretKey();
  const config = loadConfig(env);

  if (!(await reachable(config.DATABASE_URL, 5432))) {
    throw new Error(`PostgreSQL is not reachable at ${new URL(config.DATABASE_URL).host}; start it (see README, "Requirements")`);
  }
  let appEnvOf = (_app: string): NodeJS.ProcessEnv => env;
  let seedEnv = env;
  if (!process.env.NATS_URL) {
    const deployment = await NatsDeployment.open(DEV_NATS_DIR, { host: '127.0.0.1', port: DEV_NATS_PORT, storeDir: join(DEV_NATS_DIR, 'jetstream'), namespace: config.NATS_NAMESPACE });
    nats = new NatsServerProcess(deployment);
    await nats.start();
    say(`NATS (JetStream, nkey authentication) on ${nats.url}; config and dev credentials in tmp/dev-stack/nats`);
    env.NATS_URL = nats.url;
    seedEnv = { ...env, NATS_NKEY_SEED_FILE: deployment.seedFile('admin') };
    appEnvOf = (app) => ({ ...env, NATS_NKEY_SEED_FILE: deployment.seedFile(app) });
  } else if (!(await reachable(config.NATS_URL.split(',')[0], 4222))) {
    throw new Error(`NATS is not reachable at ${config.NATS_URL}; start nats-server with -js (see README, "Requirements")`);
  }
  if (!process.env.S3_ENDPOINT) {
    if (await reachable(config.S3_ENDPOINT, 9000)) {
      say(`Using the S3 server already listening at ${config.S3_ENDPOINT}`);
    } else {
      s3 = await startLocalS3Server({ port: 9000, directory: join(ROOT, 'tmp', 's3'), accessKey: config.S3_ACCESS_KEY, secretKey: config.S3_SECRET_KEY });
      say(`Local S3 server on ${s3.endpoint} (files in tmp/s3)`);
    }
  }

  const dataSource = await openDatabase(config.DATABASE_URL, 2, config.DATABASE_MIGRATION_URL);
  let demo: { accountId: string; apiKey: string };
  try {
    const accounts = new AccountsRepository(dataSource);
    const existing: Array<{ id: string }> = await dataSource.query(`SELECT id FROM accounts WHERE name = 'demo' ORDER BY created_at LIMIT 1`);
    demo = existing.length
      ? { accountId: existing[0].id, apiKey: await accounts.createApiKey(existing[0].id) }
      : await accounts.createAccount('demo');
  } finally {
    await dataSource.destroy();
  }

  await Promise.all(APPS.map((app, index) => startApp(app, index, appEnvOf(app))));
  await seedDemoData(demo.accountId, loadConfig(seedEnv));

  const url = `http://127.0.0.1:${config.PORT}`;
  const day = 86_400_000;
  const monthAgo = new Date(Date.now() - 30 * day).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const tomorrow = new Date(Date.now() + day).toISOString().replace(/\.\d{3}Z$/, 'Z');
  say(`
\x1b[1mThe stack is up.\x1b[0m
  Gateway:      ${url}   (API docs: ${url}/docs)
  Demo account: ${demo.accountId}
  Demo API key: ${demo.apiKey}

Try it:
  curl -s -X POST ${url}/exports/contacts -H 'X-Api-Key: ${demo.apiKey}' -H 'Content-Type: application/json' -d '{}'
  curl -s ${url}/exports -H 'X-Api-Key: ${demo.apiKey}'
  curl -s '${url}/messages/history?channel=SMS&from=${monthAgo}&to=${tomorrow}&limit=5' -H 'X-Api-Key: ${demo.apiKey}'

${nats ? `NATS for your own tools: NATS_URL=${nats.url} NATS_NKEY_SEED_FILE=tmp/dev-stack/nats/admin.nk (e.g. npm run seed, npm run admin -- dead-letters:list)\n` : ''}Ctrl-C stops everything.
`);
}

/** A small demo data set for the demo account, published through the ingestion subjects. */
async function seedDemoData(accountId: string, config: AppConfig): Promise<void> {
  const summary = await seedDemo({ nats: config, namespace: config.NATS_NAMESPACE, accountIds: [accountId], contacts: DEMO_CONTACTS, messages: DEMO_MESSAGES });
  say(`Demo data published: ${summary.contacts} contacts, ${summary.messages} messages, ${summary.reports} delivery reports`);
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start: ${error instanceof ConfigError ? error.message : (error as Error).message}\n`);
  void stop(1);
});
