import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { Client } from 'pg';

/*
 * Stops and starts the machine's own PostgreSQL, for the tests that prove the apps
 * ride out an outage. It is shared with every other test run on the machine: keep the
 * window short, and always start them again in `finally`.
 */

const run = promisify(execFile);
const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

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
