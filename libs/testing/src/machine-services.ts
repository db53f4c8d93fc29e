import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { promisify } from 'node:util';
import { Client } from 'pg';

/*
 * Stops and starts the machine's own PostgreSQL and NATS, for the tests that prove the apps
 * ride out an outage. Both are shared with every other test run on the machine: keep the
 * window short, and always start them again in `finally`.
 */

const run = promisify(execFile);
const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS_SERVER = '/usr/sbin/nats-server';
const NATS_ARGS = ['-a', '127.0.0.1', '-p', '4222', '-js', '-sd', '/var/lib/nats-server', '-l', '/var/log/nats-server.log'];

function pgVersion(): string {
  const versions = readdirSync('/etc/postgresql');
  if (versions.length !== 1) throw new Error(`expected one PostgreSQL version in /etc/postgresql, found ${versions.join(', ')}`);
  return versions[0];
}

export async function stopPostgres(): Promise<void> {
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', pgVersion(), 'main', 'stop', '-m', 'fast']);
}

/** Starts PostgreSQL (a no-op when it runs) and waits until it accepts queries. */
export async function startPostgres(timeoutMs = 60_000): Promise<void> {
  const answers = async () => {
    const client = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const running = await answers().then(
    () => true,
    () => false,
  );
  if (!running) {
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', pgVersion(), 'main', 'start']).catch((error: { stderr?: string; message?: string }) => {
      if (!/already running/i.test(`${error.stderr ?? ''} ${error.message ?? ''}`)) throw error;
    });
  }
  await until('PostgreSQL', timeoutMs, answers);
}

export async function stopNats(): Promise<void> {
  await run('start-stop-daemon', ['--stop', '--oknodo', '--retry', '10', '--exec', NATS_SERVER]);
}

/** Starts nats-server (a no-op when it runs) and waits until it accepts connections. */
export async function startNats(timeoutMs = 60_000): Promise<void> {
  await run('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', NATS_SERVER, '--', ...NATS_ARGS]);
  await until('NATS', timeoutMs, () => tcpOpen('127.0.0.1', 4222));
}

function tcpOpen(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host, port });
    socket.setTimeout(1000);
    socket.once('data', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error('timeout'));
    });
    socket.once('error', reject);
  });
}

async function until(what: string, timeoutMs: number, probe: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await probe();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} did not come back in ${timeoutMs} ms: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
