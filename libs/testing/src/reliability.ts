import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { splitAccountSubject } from '@exports/contracts';
import { DeadLetter, DeadLetters, JetStream } from '@exports/platform';
import { sleep, StreamMessage, TestStack } from './test-stack';

/*
 * Helpers of the reliability tests: bulk data, files checked by streaming them, the
 * lifecycle events an export caused, and waiting on a condition (never on a clock).
 */

/**
 * Inserts `count` contacts `c-<n>` (n from `from`) straight into the read model, fast;
 * the n-th contact's fields are a function of n, so two accounts may hold the same ids.
 */
export async function insertContacts(stack: TestStack, accountId: string, count: number, from = 1): Promise<void> {
  await stack.query(
    `INSERT INTO contacts (account_id, id, phone_number, email, first_name, last_name, list_ids, custom_fields, is_test, created_at, updated_at)
     SELECT $1, 'c-' || lpad(n::text, 7, '0'), '+3361' || lpad(n::text, 7, '0'), 'user' || n || '@example.com',
            'First' || n, 'Last' || n, ARRAY['list-' || (n % 10)], jsonb_build_object('n', n::text), n % 2 = 0,
            timestamptz '2026-01-01T00:00:00Z' + n * interval '1 second', timestamptz '2026-02-01T00:00:00Z'
     FROM generate_series($2::int, $3::int) AS n`,
    [accountId, from, from + count - 1],
  );
}

/** Inserts `count` messages `m-<n>` (one SENT delivery report each) sent from `start`, one per second. */
export async function insertMessages(stack: TestStack, accountId: string, count: number, start = '2026-01-10T00:00:00Z', campaignId = 'burst'): Promise<void> {
  await stack.query(
    `INSERT INTO messages (account_id, message_id, campaign_id, channel, direction, sender, destination, body, status, status_at, send_date, parts)
     SELECT $1, 'm-' || lpad(n::text, 7, '0'), $4, (ARRAY['SMS','RCS','WHATSAPP'])[1 + n % 3], 'OUTBOUND', 'ACME',
            '+3361' || lpad(n::text, 7, '0'), 'Body of message ' || n, 'SENT', $2::timestamptz + n * interval '1 second',
            $2::timestamptz + n * interval '1 second', 1
     FROM generate_series(1, $3::int) AS n`,
    [accountId, start, count, campaignId],
  );
  await stack.query(
    `INSERT INTO delivery_reports (account_id, message_id, status, occurred_at)
     SELECT account_id, message_id, 'SENT', send_date + interval '5 seconds' FROM messages WHERE account_id = $1`,
    [accountId],
  );
}

export interface DownloadedFile {
  status: number;
  sha256: string;
  sizeBytes: number;
  /** Newline-terminated lines, header included. */
  lines: number;
  firstDataLine: string;
  lastLine: string;
}

/** Downloads a file through its link without holding it in memory. */
export async function download(url: string): Promise<DownloadedFile> {
  const response = await fetch(url);
  const hash = createHash('sha256');
  let lines = 0;
  let sizeBytes = 0;
  let head = '';
  let tail = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    const buffer = Buffer.from(chunk);
    hash.update(buffer);
    sizeBytes += buffer.length;
    if (head.length < 1000) head += buffer.toString('utf8', 0, Math.min(buffer.length, 1000));
    for (let i = buffer.indexOf(10); i !== -1; i = buffer.indexOf(10, i + 1)) lines += 1;
    tail = (tail + buffer.toString('utf8', Math.max(0, buffer.length - 1000))).slice(-1000);
  }
  return { status: response.status, sha256: hash.digest('hex'), sizeBytes, lines, firstDataLine: head.split('\n')[1] ?? '', lastLine: tail.trimEnd().split('\n').pop() ?? '' };
}

/** Waits until `check` holds; fails with `what` when it does not within `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`Not reached in ${timeoutMs} ms: ${what}`);
    await sleep(everyMs);
  }
}

/** One row of the registry, as stored (not through the API). */
export async function exportRow(stack: TestStack, exportId: string): Promise<{ status: string; attempts: number; run: number; rows_exported: number; error_code: string | null; object_key: string | null; sha256: string | null }> {
  const rows = await stack.query(`SELECT status, attempts, run, rows_exported::int AS rows_exported, error_code, object_key, sha256 FROM exports WHERE id = $1`, [exportId]);
  return rows[0];
}

/** Waits until every lifecycle event owed by the outbox has been published. */
export async function outboxDrained(stack: TestStack, timeoutMs = 60_000): Promise<void> {
  await waitUntil('outbox drained', async () => (await stack.query(`SELECT count(*)::int AS n FROM outbox`))[0].n === 0, timeoutMs);
}

/** The `exports.events.*` messages on the EXPORT_EVENTS stream, by export id. */
export async function eventsByExport(stack: TestStack): Promise<Map<string, StreamMessage[]>> {
  const byExport = new Map<string, StreamMessage[]>();
  for (const message of await stack.streamMessages('exportEvents')) {
    const id = message.data?.exportId as string;
    // Each event is on its account's subject (`exports.events.completed.<accountId>`); kept here as the documented one.
    const { subject } = splitAccountSubject(message.subject);
    byExport.set(id, [...(byExport.get(id) ?? []), { ...message, subject }]);
  }
  return byExport;
}

/** A transaction of the test held open (e.g. a lock), released by `release()`. */
export interface HeldTransaction {
  client: Client;
  pid: number;
  release(): Promise<void>;
}

/** Opens a transaction on the stack's database and runs `sql` in it (e.g. LOCK TABLE); the lock stays until release(). */
export async function holdInTransaction(stack: TestStack, sql: string, params: unknown[] = []): Promise<HeldTransaction & { rows: any[] }> {
  const client = new Client({ connectionString: stack.databaseUrl });
  await client.connect();
  const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
  await client.query('BEGIN');
  const { rows } = await client.query(sql, params);
  let released = false;
  return {
    client,
    pid,
    rows,
    release: async () => {
      if (released) return;
      released = true;
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

/**
 * Backends of the stack's database that wait, directly or behind another waiter, for a lock
 * held by `pid` (a second waiter on a row waits for the first one, not for the holder).
 */
export async function waitingOn(stack: TestStack, pid: number): Promise<Array<{ pid: number; query: string }>> {
  return stack.query(
    `WITH RECURSIVE waiting AS (
       SELECT $1::int AS pid
       UNION
       SELECT a.pid FROM pg_stat_activity a JOIN waiting w ON w.pid = ANY(pg_blocking_pids(a.pid)) WHERE a.datname = current_database()
     )
     SELECT a.pid, a.query FROM pg_stat_activity a JOIN waiting w ON w.pid = a.pid WHERE a.pid <> $1`,
    [pid],
  );
}

/** Every dead letter of the stack's namespace, oldest first, with its headers read back. */
export async function deadLettersOf(stack: TestStack): Promise<DeadLetter[]> {
  const jetStream = await JetStream.connect(stack.natsOptions(), stack.namespace);
  try {
    return await new DeadLetters(jetStream).list(Number.MAX_SAFE_INTEGER);
  } finally {
    await jetStream.close();
  }
}

/** Runs the compiled admin CLI (`npm run admin -- ...`) against the stack's database and NATS, as the admin identity. */
export function runAdmin(stack: TestStack, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const entry = join(resolve(__dirname, '../../..'), 'dist', 'tools', 'admin', 'main.js');
  return new Promise((done) => {
    execFile(process.execPath, [entry, ...args], { env: { PATH: process.env.PATH ?? '', ...stack.env, NATS_NKEY_SEED_FILE: stack.nkeySeedFile('admin') }, timeout: 120_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}
