import { spawn } from 'node:child_process';
import { escapeLiteral } from 'pg';
import { accountSubject, Consumers, DEFAULT_MAX_ROWS_PER_FILE, ExportFormat, ExportType, FORMAT_TRAITS, NatsNamespace, Subjects } from '@exports/contracts';
import { AccountsRepository, ExportEntity } from '@exports/database';
import { exportPlanSettings } from '@exports/export-pipeline';
import { EXPORT_SOURCES, exportCopy, exportSelect } from '@exports/export-files';
import { BenchApp, BenchStack, median, peakRssMB } from './bench-stack';
import { BROWSE_ACCOUNT, insertMessages } from './history-browse.bench';

/** Messages of a second account: the 5M-row export (RSS flatness, parts) and the estimate's planner path. */
export const BIG_ACCOUNT = '00000000-0000-4000-8000-0000000005e5';
const SMALL_ACCOUNT = '00000000-0000-4000-8000-000000001e3a';
/** Its messages arrive as platform events, ingested by the history-service that then exports them. */
const LIVED_ACCOUNT = '00000000-0000-4000-8000-0000000011fe';
const TIMEZONE = 'Europe/Paris';
const FILTERS = { startDateTime: '2026-01-01T00:00:00Z', endDateTime: '2026-12-31T23:59:59Z' };
/** Every format, each measured on a history-service of its own; csv first, the reference of the flatness check. */
const FORMATS = [ExportFormat.Csv, ExportFormat.CsvGzip, ExportFormat.Jsonl, ExportFormat.JsonlGzip];
/** EXPORT_GZIP_LEVELs compared on csv.gz, so that the default (1) is chosen on figures. */
const GZIP_LEVELS = [1, 3, 6];

export interface ExportBenchOptions {
  /** Messages of the browsing account, exported whole (1M; quick 100k). */
  rows: number;
  /** Messages of a second account for the RSS flatness check (5M; quick 500k). */
  bigRows: number;
  /** maxRowsPerFile of that export; unset, the default (1M: 5M rows are 5 parts). */
  bigMaxRowsPerFile?: number;
  /** Timed runs of each format's full export and of its psql baseline (median taken). */
  runs: number;
  /** Runs of the 1,000-row export. */
  smallRuns: number;
  log: (line: string) => void;
}

export interface ExportBenchResult {
  rows: number;
  bigRows: number;
  /** Each format's full exports, in {@link FORMATS} order. */
  formats: FormatRuns[];
  /** psql \copy of a plain `SELECT * ... ORDER BY send_date` of the same rows (no formatting), s; beside the csv runs. */
  psqlRawSeconds: number[];
  /** history-service VmHWM after exporting `bigRows` (fresh process), MB. */
  bigPeakRssMB: number;
  bigExportSeconds: number;
  /** The maxRowsPerFile the `bigRows` export had. */
  bigRowsPerFile: number;
  /** Rows of each file of the `bigRows` export, in part order, as GET /exports/{exportId} lists them. */
  bigFileRows: number[];
  /** history-service VmHWM right after start, before any export (the csv process), MB. */
  idleRssMB: number;
  /** Request → COMPLETED of a 1,000-row export, ms. */
  smallMs: number[];
  /** A history-service that ingested `rows` platform events, then exported those messages. */
  lived: LivedProcess;
  /** csv.gz of `rows` at each of {@link GZIP_LEVELS}, one export each on a fresh history-service. */
  gzipLevels: GzipLevelRun[];
}

/** The full export of `rows` in one format, interleaved with psql \copy of its SELECT, on a history-service of its own. */
export interface FormatRuns {
  format: ExportFormat;
  /** psql \copy to /dev/null of the SELECT the format is read with (CSV or JSON Lines), with the export's COPY options and settings, s. */
  psqlSeconds: number[];
  /** Request → COMPLETED through the gateway and history-service, s. */
  exportSeconds: number[];
  /** All the export's files, as stored. */
  sizeBytes: number;
  /** VmHWM of its history-service after these exports, MB. */
  peakRssMB: number;
}

export interface GzipLevelRun {
  level: number;
  /** Request → COMPLETED, s. */
  seconds: number;
  sizeBytes: number;
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
 * real gateway → outbox → JetStream → history-service: COPY → spreadsheet-safe CSV or JSON Lines
 * in Europe/Paris → gzip for a .gz format → sha256 → S3 multipart → COMPLETED), in every format,
 * each against `psql \copy` of the same SELECT to /dev/null, side by side in one run; the peak
 * RSS of history-service for each format; and csv.gz at several gzip levels.
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

  // The exact COPY history-service runs for a file of every column: the CSV SELECT for csv and
  // csv.gz, the JSON Lines one for jsonl and jsonl.gz (gzip is the worker's, after the COPY).
  const record = { accountId: BROWSE_ACCOUNT, filters: FILTERS, timezone: TIMEZONE, columns: null } as unknown as ExportEntity;
  const source = EXPORT_SOURCES[ExportType.MessageHistory];
  const copyOf = (format: ExportFormat) => {
    const { jsonLines } = FORMAT_TRAITS[format];
    return exportCopy(exportSelect(source, record, escapeLiteral, jsonLines), jsonLines);
  };
  // What a new user would compare with: every column as stored, in send order, no formatting.
  const raw = exportCopy(`SELECT * FROM messages WHERE account_id = ${escapeLiteral(BROWSE_ACCOUNT)}::uuid ORDER BY send_date`, false);
  const rows = options.rows.toLocaleString('en-US');
  const browseKey = keys.get(BROWSE_ACCOUNT)!;

  const result: ExportBenchResult = {
    rows: options.rows,
    bigRows: options.bigRows,
    formats: [],
    psqlRawSeconds: [],
    bigPeakRssMB: 0,
    bigExportSeconds: 0,
    bigRowsPerFile: options.bigMaxRowsPerFile ?? DEFAULT_MAX_ROWS_PER_FILE,
    bigFileRows: [],
    idleRssMB: 0,
    smallMs: [],
    lived: { events: 0, ingestSeconds: 0, afterIngestRssMB: 0, exportSeconds: 0, peakRssMB: 0 },
    gzipLevels: [],
  };

  // Big account first, on a process of its own, so its VmHWM is that export's alone.
  {
    const pair = await startPair(stack);
    options.log(`  export of ${options.bigRows.toLocaleString('en-US')} rows in parts of ${result.bigRowsPerFile.toLocaleString('en-US')} (RSS flatness) ...`);
    const big = await timedExport(stack, pair.baseUrl, keys.get(BIG_ACCOUNT)!, 250, { maxRowsPerFile: options.bigMaxRowsPerFile });
    result.bigExportSeconds = big.ms / 1000;
    result.bigPeakRssMB = await peakRssMB(pair.history.child.pid!);
    result.bigFileRows = await fileRows(pair.baseUrl, keys.get(BIG_ACCOUNT)!, big.exportId);
    options.log(`    ${result.bigExportSeconds.toFixed(1)} s, files of ${result.bigFileRows.map((n) => n.toLocaleString('en-US')).join(' + ')} rows, history-service peak RSS ${result.bigPeakRssMB.toFixed(0)} MB`);
    await stopPair(stack, pair);
  }

  // Each format on a fresh process, so that its VmHWM is its own.
  for (const format of FORMATS) {
    const csv = format === ExportFormat.Csv;
    const runs: FormatRuns = { format, psqlSeconds: [], exportSeconds: [], sizeBytes: 0, peakRssMB: 0 };
    const pair = await startPair(stack);
    if (csv) result.idleRssMB = await peakRssMB(pair.history.child.pid!);
    options.log(`  ${format}: ${options.runs} x (psql \\copy${csv ? ', SELECT * \\copy' : ''}, full export) of ${rows} rows, interleaved ...`);
    for (let run = 0; run < options.runs; run++) {
      // The export's SELECT with the export's session settings; the plain SELECT as anyone would type it.
      runs.psqlSeconds.push(await psqlCopy(stack.databaseUrl, copyOf(format), exportPlanSettings(source)));
      if (csv) result.psqlRawSeconds.push(await psqlCopy(stack.databaseUrl, raw));
      const done = await timedExport(stack, pair.baseUrl, browseKey, 20, { format });
      runs.exportSeconds.push(done.ms / 1000);
      runs.sizeBytes = done.sizeBytes;
      const plain = csv ? `, SELECT * ${result.psqlRawSeconds.at(-1)!.toFixed(2)} s` : '';
      options.log(`    psql ${runs.psqlSeconds.at(-1)!.toFixed(2)} s${plain}, export ${runs.exportSeconds.at(-1)!.toFixed(2)} s (${(done.sizeBytes / 1e6).toFixed(0)} MB)`);
    }
    runs.peakRssMB = await peakRssMB(pair.history.child.pid!);
    options.log(`    history-service peak RSS ${runs.peakRssMB.toFixed(0)} MB`);
    result.formats.push(runs);
    if (csv) {
      options.log(`  ${options.smallRuns} exports of 1,000 rows ...`);
      for (let run = 0; run < options.smallRuns + 2; run++) {
        const { ms } = await timedExport(stack, pair.baseUrl, keys.get(SMALL_ACCOUNT)!, 10);
        if (run >= 2) result.smallMs.push(ms); // two warm-up runs
      }
      options.log(`    median ${median(result.smallMs).toFixed(0)} ms`);
    }
    await stopPair(stack, pair);
  }

  // The level is read at start: a fresh pair for each.
  options.log(`  csv.gz of ${rows} rows at EXPORT_GZIP_LEVEL ${GZIP_LEVELS.join(', ')}, one export each ...`);
  for (const level of GZIP_LEVELS) {
    const pair = await startPair(stack, { EXPORT_GZIP_LEVEL: String(level) });
    const done = await timedExport(stack, pair.baseUrl, browseKey, 20, { format: ExportFormat.CsvGzip });
    result.gzipLevels.push({ level, seconds: done.ms / 1000, sizeBytes: done.sizeBytes });
    options.log(`    level ${level}: ${(done.ms / 1000).toFixed(2)} s, ${(done.sizeBytes / 1e6).toFixed(1)} MB`);
    await stopPair(stack, pair);
  }

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
  const pair = await startPair(stack);
  const { history, baseUrl, namespace } = pair;
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
  await stopPair(stack, pair);
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

interface AppPair {
  history: BenchApp;
  gateway: BenchApp;
  baseUrl: string;
  namespace: NatsNamespace;
}

/**
 * A gateway and a history-service on a NATS namespace and bucket of their own (no other consumer
 * takes the exports); `extraEnv` is given to both.
 */
async function startPair(stack: BenchStack, extraEnv: Record<string, string> = {}): Promise<AppPair> {
  const namespace = stack.newNamespace();
  const port = 20000 + Math.floor(Math.random() * 20000);
  const env: Record<string, string> = { NATS_NAMESPACE: namespace.prefix, S3_BUCKET: `bench-export-${namespace.prefix}`, EXPORT_MAX_OPEN_PER_ACCOUNT: '1000', EXPORT_ACCOUNT_CONCURRENCY: '32', RATE_LIMIT_REQUESTS: '1000000', ...extraEnv };
  // Lets a run try another upload part size (the apps default to 5 MiB).
  if (process.env.S3_PART_SIZE_MB) env.S3_PART_SIZE_MB = process.env.S3_PART_SIZE_MB;
  const history = await stack.startApp('history-service', env);
  const gateway = await stack.startApp('api-gateway', { ...env, PORT: String(port) });
  return { history, gateway, baseUrl: `http://127.0.0.1:${port}`, namespace };
}

async function stopPair(stack: BenchStack, pair: AppPair): Promise<void> {
  await stack.stopApp(pair.gateway);
  await stack.stopApp(pair.history);
}

/**
 * POST /messages/history/export with the file options of `output` (unset: the defaults), then
 * polls the registry every `pollMs` until COMPLETED; `sizeBytes` is that of every file.
 */
async function timedExport(
  stack: BenchStack,
  baseUrl: string,
  apiKey: string,
  pollMs: number,
  output: { format?: ExportFormat; maxRowsPerFile?: number } = {},
): Promise<{ ms: number; sizeBytes: number; exportId: string }> {
  const started = process.hrtime.bigint();
  const response = await fetch(`${baseUrl}/messages/history/export`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Api-Key': apiKey },
    body: JSON.stringify({ ...FILTERS, timezone: TIMEZONE, ...output }),
  });
  const body = (await response.json()) as { exportId?: string };
  if (response.status !== 202 || !body.exportId) throw new Error(`POST /messages/history/export answered ${response.status}: ${JSON.stringify(body)}`);
  const deadline = Date.now() + 600_000;
  for (;;) {
    const [row] = await stack.dataSource.query(`SELECT status, size_bytes FROM exports WHERE id = $1`, [body.exportId]);
    if (row?.status === 'COMPLETED') return { ms: Number(process.hrtime.bigint() - started) / 1e6, sizeBytes: Number(row.size_bytes), exportId: body.exportId };
    if (row?.status === 'FAILED') throw new Error(`export ${body.exportId} FAILED`);
    if (Date.now() > deadline) throw new Error(`export ${body.exportId} not COMPLETED in 10 min`);
    await new Promise((resolveWait) => setTimeout(resolveWait, pollMs));
  }
}

/** The files of a COMPLETED export as its owner reads them (GET /exports/{exportId}): the rows of each, in part order. */
async function fileRows(baseUrl: string, apiKey: string, exportId: string): Promise<number[]> {
  const response = await fetch(`${baseUrl}/exports/${exportId}`, { headers: { 'X-Api-Key': apiKey } });
  const body = (await response.json()) as { status?: string; files?: { rowCount: number }[] };
  if (response.status !== 200 || body.status !== 'COMPLETED' || !body.files) throw new Error(`GET /exports/${exportId} answered ${response.status}: ${JSON.stringify(body)}`);
  return body.files.map((file) => file.rowCount);
}

/**
 * `psql -c "SET TIME ZONE ..." [-c settings] -c "\copy (select) TO '/dev/null' WITH (options)"`
 * of a `COPY (select) TO STDOUT WITH (options)` ({@link exportCopy}'s: the export's own COPY
 * options, CSV or JSON Lines), wall clock in s.
 */
function psqlCopy(databaseUrl: string, copy: string, settings?: string): Promise<number> {
  const parts = /^COPY (\(.*\)) TO STDOUT (WITH \(.*\))$/s.exec(copy);
  if (!parts) throw new Error(`not a COPY (...) TO STDOUT WITH (...): ${copy}`);
  const url = new URL(databaseUrl);
  const args = [
    '-X', '-q', '-v', 'ON_ERROR_STOP=1',
    '-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username || 'postgres'), url.pathname.slice(1),
    '-c', `SET TIME ZONE ${escapeLiteral(TIMEZONE)}`,
    // For the session, not a transaction: psql runs each -c on its own.
    ...(settings ? ['-c', settings.replace(/, true\)/g, ', false)')] : []),
    // \copy takes the rest of one line, its options as they are.
    '-c', `\\copy ${parts[1].replace(/\s*\n\s*/g, ' ')} TO '/dev/null' ${parts[2]}`,
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
