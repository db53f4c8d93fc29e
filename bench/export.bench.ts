import { spawn } from 'node:child_process';
import { escapeLiteral } from 'pg';
import { accountSubject, Consumers, ExportType, NatsNamespace, Subjects } from '@exports/contracts';
import { AccountsRepository, ExportEntity } from '@exports/database';
import { exportPlanSettings } from '@exports/export-pipeline';
import { EXPORT_SOURCES, exportSelect } from '@exports/export-files';
import { BenchApp, BenchStack, median, peakRssMB } from './bench-stack';
import { BROWSE_ACCOUNT, insertMessages } from './history-browse.bench';

const BIG_ACCOUNT = '00000000-0000-4000-8000-0000000005e5';
const SMALL_ACCOUNT = '00000000-0000-4000-8000-000000001e3a';
/** Its messages arrive as platform events, ingested by the history-service that then exports them. */
const LIVED_ACCOUNT = '00000000-0000-4000-8000-0000000011fe';
const TIMEZONE = 'Europe/Paris';
const FILTERS = { startDateTime: '2026-01-01T00:00:00Z', endDateTime: '2026-12-31T23:59:59Z' };

export interface ExportBenchOptions {
  /** Messages of the browsing account, exported whole (1M; quick 100k). */
  rows: number;
  /** Messages of a second account for the RSS flatness check (5M; quick 500k). */
  bigRows: number;
  /** Timed runs of the full export and of its psql baseline (median taken). */
  runs: number;
  /** Runs of the 1,000-row export. */
  smallRuns: number;
  log: (line: string) => void;
}

export interface ExportBenchResult {
  rows: number;
  bigRows: number;
  /** psql \copy of the export's SELECT to /dev/null, median s. */
  psqlSeconds: number[];
  /** psql \copy of a plain `SELECT * ... ORDER BY send_date` of the same rows (no formatting), median s. */
  psqlRawSeconds: number[];
  /** Request → COMPLETED through the gateway and history-service, s. */
  exportSeconds: number[];
  sizeBytes: number;
  /** history-service VmHWM after exporting `rows`, MB. */
  peakRssMB: number;
  /** history-service VmHWM after exporting `bigRows` (fresh process), MB. */
  bigPeakRssMB: number;
  bigExportSeconds: number;
  /** history-service VmHWM right after start, before any export, MB. */
  idleRssMB: number;
  /** Request → COMPLETED of a 1,000-row export, ms. */
  smallMs: number[];
  /** A history-service that ingested `rows` platform events, then exported those messages. */
  lived: LivedProcess;
}

export interface LivedProcess {
  events: number;
  /** From the first publish until the consumer had nothing pending or unacked, s. */
  ingestSeconds: number;
  /** VmHWM once the events were ingested, MB. */
  afterIngestRssMB: number;
  exportSeconds: number;
  /** VmHWM after the export too: the peak of the whole life, MB. */
  peakRssMB: number;
}

/**
 * A full message-history export as a customer gets it (POST /messages/history/export on the
 * real gateway → outbox → JetStream → history-service: COPY → spreadsheet-safe CSV in
 * Europe/Paris → sha256 → S3 multipart → COMPLETED), against `psql \copy` of the same
 * SELECT to /dev/null, side by side in one run; and the peak RSS of history-service.
 */
export async function runExportBench(stack: BenchStack, options: ExportBenchOptions): Promise<ExportBenchResult> {
  const ds = stack.dataSource;
  const count = async (account: string) => (await ds.query(`SELECT count(*)::int AS n FROM messages WHERE account_id = $1`, [account]))[0].n as number;
  if ((await count(BROWSE_ACCOUNT)) !== options.rows) throw new Error(`the browsing account should have ${options.rows} messages`);
  for (const [account, rows] of [[BIG_ACCOUNT, options.bigRows], [SMALL_ACCOUNT, 1000]] as const) {
    if ((await count(account)) === rows) continue;
    options.log(`  generating ${rows.toLocaleString('en-US')} messages of another account ...`);
    const started = Date.now();
    await ds.query(`DELETE FROM messages WHERE account_id = $1`, [account]);
    await ds.query(`INSERT INTO accounts (id, name) VALUES ($1, 'bench export') ON CONFLICT (id) DO NOTHING`, [account]);
    await ds.transaction(async (manager) => {
      await manager.query(`SET LOCAL synchronous_commit = off`);
      await insertMessages(manager, account, rows);
    });
    await ds.query('VACUUM (ANALYZE) messages');
    options.log(`    in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  // The registry and outbox rows of earlier runs (autovacuum is off on this machine; see the HTTP section).
  await ds.query('VACUUM (ANALYZE) exports, outbox');
  const accounts = new AccountsRepository(ds);
  const keys = new Map<string, string>();
  await ds.query(`INSERT INTO accounts (id, name) VALUES ($1, 'bench lived') ON CONFLICT (id) DO NOTHING`, [LIVED_ACCOUNT]);
  for (const account of [BROWSE_ACCOUNT, BIG_ACCOUNT, SMALL_ACCOUNT, LIVED_ACCOUNT]) keys.set(account, await accounts.createApiKey(account));

  // The exact SELECT history-service runs for a CSV of every column.
  const record = { accountId: BROWSE_ACCOUNT, filters: FILTERS, timezone: TIMEZONE, columns: null } as unknown as ExportEntity;
  const source = EXPORT_SOURCES[ExportType.MessageHistory];
  const select = exportSelect(source, record, escapeLiteral, false);
  // What a new user would compare with: every column as stored, in send order, no formatting.
  const raw = `SELECT * FROM messages WHERE account_id = ${escapeLiteral(BROWSE_ACCOUNT)}::uuid ORDER BY send_date`;

  const result: ExportBenchResult = {
    rows: options.rows,
    bigRows: options.bigRows,
    psqlSeconds: [],
    psqlRawSeconds: [],
    exportSeconds: [],
    sizeBytes: 0,
    peakRssMB: 0,
    bigPeakRssMB: 0,
    bigExportSeconds: 0,
    idleRssMB: 0,
    smallMs: [],
    lived: { events: 0, ingestSeconds: 0, afterIngestRssMB: 0, exportSeconds: 0, peakRssMB: 0 },
  };

  // Big account first, on a process of its own, so its VmHWM is that export's alone.
  {
    const { history, gateway, baseUrl } = await startPair(stack);
    options.log(`  export of ${options.bigRows.toLocaleString('en-US')} rows (RSS flatness) ...`);
    const big = await timedExport(stack, baseUrl, keys.get(BIG_ACCOUNT)!, 250);
    result.bigExportSeconds = big.ms / 1000;
    result.bigPeakRssMB = await peakRssMB(history.child.pid!);
    options.log(`    ${result.bigExportSeconds.toFixed(1)} s, history-service peak RSS ${result.bigPeakRssMB.toFixed(0)} MB`);
    await stack.stopApp(gateway);
    await stack.stopApp(history);
  }

  const { history, gateway, baseUrl } = await startPair(stack);
  result.idleRssMB = await peakRssMB(history.child.pid!);
  options.log(`  ${options.runs} x (psql \\copy, SELECT * \\copy, full export) of ${options.rows.toLocaleString('en-US')} rows, interleaved ...`);
  for (let run = 0; run < options.runs; run++) {
    // The export's SELECT with the export's session settings; the plain SELECT as anyone would type it.
    result.psqlSeconds.push(await psqlCopy(stack.databaseUrl, select, exportPlanSettings(source)));
    result.psqlRawSeconds.push(await psqlCopy(stack.databaseUrl, raw));
    const done = await timedExport(stack, baseUrl, keys.get(BROWSE_ACCOUNT)!, 20);
    result.exportSeconds.push(done.ms / 1000);
    result.sizeBytes = done.sizeBytes;
    options.log(`    psql ${result.psqlSeconds.at(-1)!.toFixed(2)} s, SELECT * ${result.psqlRawSeconds.at(-1)!.toFixed(2)} s, export ${result.exportSeconds.at(-1)!.toFixed(2)} s`);
  }
  result.peakRssMB = await peakRssMB(history.child.pid!);

  options.log(`  ${options.smallRuns} exports of 1,000 rows ...`);
  for (let run = 0; run < options.smallRuns + 2; run++) {
    const { ms } = await timedExport(stack, baseUrl, keys.get(SMALL_ACCOUNT)!, 10);
    if (run >= 2) result.smallMs.push(ms); // two warm-up runs
  }
  options.log(`    median ${median(result.smallMs).toFixed(0)} ms`);
  await stack.stopApp(gateway);
  await stack.stopApp(history);

  result.lived = await livedProcess(stack, options.rows, keys.get(LIVED_ACCOUNT)!, options.log);
  return result;
}

/**
 * A process that lives a real life: a fresh history-service ingests `rows` platform events (one
 * new message each, published while it runs), then exports those messages through the gateway.
 * Its VmHWM is the peak of the whole life.
 */
async function livedProcess(stack: BenchStack, rows: number, apiKey: string, log: (line: string) => void): Promise<LivedProcess> {
  await stack.dataSource.query(`DELETE FROM messages WHERE account_id = $1`, [LIVED_ACCOUNT]);
  await stack.dataSource.query(`DELETE FROM delivery_reports WHERE account_id = $1`, [LIVED_ACCOUNT]);
  const { history, gateway, baseUrl, namespace } = await startPair(stack);
  log(`  a fresh history-service ingests ${rows.toLocaleString('en-US')} platform events, then exports them ...`);
  const started = Date.now();
  await stack.publish(recordedEvents(LIVED_ACCOUNT, rows), namespace);
  await drained(stack, namespace);
  const ingestSeconds = (Date.now() - started) / 1000;
  const [{ n }] = await stack.dataSource.query(`SELECT count(*)::int AS n FROM messages WHERE account_id = $1`, [LIVED_ACCOUNT]);
  if (n !== rows) throw new Error(`after ingestion the account has ${n} of ${rows} messages`);
  await stack.dataSource.query('VACUUM (ANALYZE) messages');
  const afterIngestRssMB = await peakRssMB(history.child.pid!);
  const done = await timedExport(stack, baseUrl, apiKey, 20);
  const peak = await peakRssMB(history.child.pid!);
  log(`    ingested in ${ingestSeconds.toFixed(1)} s (VmHWM ${afterIngestRssMB.toFixed(0)} MB), exported in ${(done.ms / 1000).toFixed(2)} s (VmHWM ${peak.toFixed(0)} MB)`);
  await stack.stopApp(gateway);
  await stack.stopApp(history);
  return { events: rows, ingestSeconds, afterIngestRssMB, exportSeconds: done.ms / 1000, peakRssMB: peak };
}

/** `platform.messages.recorded` events, one new message each, over 2026 and the three channels. */
function* recordedEvents(accountId: string, count: number): Generator<[string, string]> {
  const subject = accountSubject(Subjects.platform.messagesRecorded, accountId);
  const start = Date.parse('2026-01-01T00:00:00Z');
  const step = Math.floor((365 * 86_400_000) / count);
  const channels = ['SMS', 'SMS', 'WHATSAPP', 'RCS'];
  for (let i = 0; i < count; i++) {
    const message = {
      messageId: `lived-${String(i).padStart(8, '0')}`,
      channel: channels[i % channels.length],
      direction: 'OUTBOUND',
      sender: i % 3 ? 'ACME' : '+33700000000',
      destination: `+336${String(10_000_000 + (i % 90_000_000)).slice(-8)}`,
      body: `Your code is ${String(i % 1_000_000).padStart(6, '0')}. ${'Thanks for using ACME, "the" messaging API. '.repeat(1 + (i % 3))}`,
      status: 'SENT',
      sendDate: new Date(start + i * step).toISOString(),
      cost: 0.045,
      parts: 1 + (i % 3),
    };
    yield [subject, JSON.stringify({ accountId, message })];
  }
}

/** Resolves when history-service's message consumer has nothing pending or unacked. */
async function drained(stack: BenchStack, namespace: NatsNamespace): Promise<void> {
  const manager = await stack.nats.jetstreamManager();
  const deadline = Date.now() + 900_000;
  for (;;) {
    const info = await manager.consumers.info(namespace.stream('platform').name, namespace.consumer(Consumers.historyServiceMessages));
    if (info.num_pending === 0 && info.num_ack_pending === 0) return;
    if (Date.now() > deadline) throw new Error(`ingestion did not finish in 15 min (${info.num_pending} pending, ${info.num_ack_pending} unacked)`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

/** A gateway and a history-service on a NATS namespace and bucket of their own (no other consumer takes the exports). */
async function startPair(stack: BenchStack): Promise<{ history: BenchApp; gateway: BenchApp; baseUrl: string; namespace: NatsNamespace }> {
  const namespace = stack.newNamespace();
  const port = 20000 + Math.floor(Math.random() * 20000);
  const env: Record<string, string> = { NATS_NAMESPACE: namespace.prefix, S3_BUCKET: `bench-export-${namespace.prefix}`, EXPORT_MAX_OPEN_PER_ACCOUNT: '1000', EXPORT_ACCOUNT_CONCURRENCY: '32', RATE_LIMIT_REQUESTS: '1000000' };
  // Lets a run try another upload part size (the apps default to 8 MB).
  if (process.env.S3_PART_SIZE_MB) env.S3_PART_SIZE_MB = process.env.S3_PART_SIZE_MB;
  const history = await stack.startApp('history-service', env);
  const gateway = await stack.startApp('api-gateway', { ...env, PORT: String(port) });
  return { history, gateway, baseUrl: `http://127.0.0.1:${port}`, namespace };
}

/** POST /messages/history/export, then polls the registry every `pollMs` until COMPLETED. */
async function timedExport(stack: BenchStack, baseUrl: string, apiKey: string, pollMs: number): Promise<{ ms: number; sizeBytes: number }> {
  const started = process.hrtime.bigint();
  const response = await fetch(`${baseUrl}/messages/history/export`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Api-Key': apiKey },
    body: JSON.stringify({ ...FILTERS, timezone: TIMEZONE }),
  });
  const body = (await response.json()) as { exportId?: string };
  if (response.status !== 202 || !body.exportId) throw new Error(`POST /messages/history/export answered ${response.status}: ${JSON.stringify(body)}`);
  const deadline = Date.now() + 600_000;
  for (;;) {
    const [row] = await stack.dataSource.query(`SELECT status, size_bytes FROM exports WHERE id = $1`, [body.exportId]);
    if (row?.status === 'COMPLETED') return { ms: Number(process.hrtime.bigint() - started) / 1e6, sizeBytes: Number(row.size_bytes) };
    if (row?.status === 'FAILED') throw new Error(`export ${body.exportId} FAILED`);
    if (Date.now() > deadline) throw new Error(`export ${body.exportId} not COMPLETED in 10 min`);
    await new Promise((resolveWait) => setTimeout(resolveWait, pollMs));
  }
}

/** `psql -c "SET TIME ZONE ..." [-c settings] -c "\copy (select) TO '/dev/null' ..."`, wall clock in s. */
function psqlCopy(databaseUrl: string, select: string, settings?: string): Promise<number> {
  const url = new URL(databaseUrl);
  const args = [
    '-X', '-q', '-v', 'ON_ERROR_STOP=1',
    '-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username || 'postgres'), url.pathname.slice(1),
    '-c', `SET TIME ZONE ${escapeLiteral(TIMEZONE)}`,
    // For the session, not a transaction: psql runs each -c on its own.
    ...(settings ? ['-c', settings.replace(/, true\)/g, ', false)')] : []),
    // \copy takes the rest of one line.
    '-c', `\\copy (${select.replace(/\s*\n\s*/g, ' ')}) TO '/dev/null' WITH (FORMAT csv, HEADER true)`,
  ];
  return new Promise((resolveRun, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('psql', args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolveRun(Number(process.hrtime.bigint() - started) / 1e9);
      else reject(new Error(`psql exited with ${code}: ${stderr}`));
    });
  });
}
