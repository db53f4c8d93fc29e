import { spawn } from 'node:child_process';
import { AccountsRepository } from '@exports/database';
import { BenchStack, cpuPerUnit, cpuSnapshot, percentile } from './bench-stack';
import { BROWSE_ACCOUNT } from './history-browse.bench';

export interface HttpLoadOptions {
  /** Seconds of load per route. */
  seconds: number;
  log: (line: string) => void;
}

export interface LoadResult {
  name: string;
  rate: number;
  /** Requests answered per second: below `rate` when the gateway cannot keep up with it. */
  achieved: number;
  /** Requests answered (any status). */
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  statusCodes: string;
  /** CPU time per answered request, in ms, while the route was measured; `machineBusy` in % of all cores. */
  cpu: RequestCpu;
}

/** Where the CPU went during a measured load, per answered request. */
export interface RequestCpu {
  gateway: number;
  historyService: number;
  postgres: number;
  /** The NATS server(s) of this machine: the browse's request and reply cross it, and the outbox relay's publishes. */
  natsServer: number;
  loadGenerator: number;
  /** The machine's busy share of all its cores during the load, in %. */
  machineBusy: number;
}

/** p99 of a route against the p99 of the bare route (GET /health/live) at the same rate, in the same run. */
export interface BareRatio {
  route: string;
  rate: number;
  ratio: number;
  p99: number;
  bareP99: number;
}

export interface HttpLoadResult {
  routes: LoadResult[];
  /** GET and POST against the bare route: robust to a machine slower as a whole. */
  bareRatios: BareRatio[];
  /** The exports the POST load registered, drained afterwards by an export-worker. */
  drain: { exports: number; completed: number; seconds: number };
}

/** Accounts the POST load is spread over (round robin), each under the open-exports cap. */
const EXPORT_ACCOUNTS = 100;

/**
 * The gateway under a fixed arrival rate (loadtest's `requestsPerSecond`: one request every
 * 1/rate s, sent whether or not earlier ones are answered, keep-alive connections added as
 * needed), bounded by count and time, on localhost: GET /messages/history (page 1 of the
 * browsing account, through NATS to history-service) and POST /exports/contacts. The
 * export-worker is started after the POST load, to drain what it registered: on two cores it
 * would otherwise compete with the gateway under test; the drain is timed and checked instead.
 * Right after each route, the bare route (GET /health/live: public, no database, no NATS) runs
 * at the same rate with the same settings; the ratio of the p99s is what the gateway adds to an
 * answer that does nothing, whatever else the machine is doing meanwhile.
 */
export async function runHttpLoadBench(stack: BenchStack, options: HttpLoadOptions): Promise<HttpLoadResult> {
  const namespace = stack.newNamespace();
  const port = 20000 + Math.floor(Math.random() * 20000);
  const env = {
    NATS_NAMESPACE: namespace.prefix,
    S3_BUCKET: `bench-load-${namespace.prefix}`,
    RATE_LIMIT_REQUESTS: '100000000',
    EXPORT_MAX_OPEN_PER_ACCOUNT: '1000',
  };
  // The bench's own history-service runs on another namespace with the same database: its
  // outbox relay would publish these exports' runs where no export-worker listens.
  await stack.stopHistoryService();
  // Every run registers thousands of exports and outbox entries, then finishes and deletes them.
  // Where autovacuum is off (this machine), their dead rows pile up run after run, and the outbox
  // relay and the open-exports count wade through them: POST p50 went from 8 ms to 1.3 s over
  // seven runs on one database, and a plain VACUUM left the outbox's pages and indexes at their
  // bloated size. Each run starts from the same state: the exports of earlier runs of this
  // section are deleted and the tables it churns rewritten. (Production keeps autovacuum on.)
  await stack.dataSource.query(`DELETE FROM exports WHERE account_id IN (SELECT id FROM accounts WHERE name LIKE 'bench http load %')`);
  await stack.dataSource.query('VACUUM (FULL, ANALYZE) exports, outbox, api_rate_limits');
  const apps = [await stack.startApp('history-service', env), await stack.startApp('api-gateway', { ...env, PORT: String(port) })];
  try {
    const accounts = new AccountsRepository(stack.dataSource);
    const browseKey = await accounts.createApiKey(BROWSE_ACCOUNT);
    const exportAccounts = await Promise.all(Array.from({ length: EXPORT_ACCOUNTS }, (_, i) => accounts.createAccount(`bench http load ${i}`)));
    const base = `http://127.0.0.1:${port}`;
    const history = `${base}/messages/history?channel=SMS&from=2026-01-01T00:00:00Z&to=2026-12-31T23:59:59Z&limit=20`;
    const check = await fetch(history, { headers: { 'X-Api-Key': browseKey } });
    if (check.status !== 200) throw new Error(`GET /messages/history answered ${check.status}: ${await check.text()}`);

    const [historyService, gateway] = apps;
    const cpuNow = () => cpuSnapshot({ gateway: gateway.child.pid!, historyService: historyService.child.pid! });
    const routes: LoadResult[] = [];
    const load = async (name: string, rate: number, request: LoadRequest, seconds = options.seconds) => {
      // Warm-up at the same rate (JIT, connection pools), not measured.
      await generateLoad({ ...request, rate, seconds: 3 });
      options.log(`  ${name}: ${rate} req/s for ${seconds} s ...`);
      const before = await cpuNow();
      const measured = await generateLoad({ ...request, rate, seconds });
      const after = await cpuNow();
      const cpu: RequestCpu = {
        ...cpuPerUnit(before, after, measured.requests, 1000),
        loadGenerator: (measured.loadGeneratorCpuSeconds * 1000) / Math.max(1, measured.requests),
      };
      const { loadGeneratorCpuSeconds: _own, ...result } = measured;
      const row = { name, ...result, cpu };
      options.log(`    p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms, ${row.requests} answered (${row.statusCodes}), ${row.errors} errors`);
      options.log(
        `    CPU per request: gateway ${cpu.gateway.toFixed(2)} ms, history-service ${cpu.historyService.toFixed(2)} ms, PostgreSQL ${cpu.postgres.toFixed(2)} ms, NATS server ${cpu.natsServer.toFixed(2)} ms, load generator ${cpu.loadGenerator.toFixed(2)} ms; machine ${cpu.machineBusy.toFixed(0)}% busy`,
      );
      routes.push(row);
    };
    const bareRatios: BareRatio[] = [];
    const bare: LoadRequest = { url: `${base}/health/live`, method: 'GET', keys: [browseKey] };
    const againstBare = async (name: string, rate: number, request: LoadRequest) => {
      await load(name, rate, request);
      const bareName = `GET /health/live (bare route, as ${name.split(' ')[0]})`;
      await load(bareName, rate, bare);
      const [real, baseline] = [routes.find((r) => r.name === name)!, routes.find((r) => r.name === bareName)!];
      bareRatios.push({ route: name, rate, ratio: real.p99 / baseline.p99, p99: real.p99, bareP99: baseline.p99 });
      options.log(`    p99 ${name} / bare route: ${(real.p99 / baseline.p99).toFixed(2)}x`);
    };
    const browse: LoadRequest = { url: history, method: 'GET', keys: [browseKey] };
    // The same request at a low rate: what one request costs when nothing queues.
    await load('GET /messages/history (reference, low rate)', 20, browse, 5);
    await againstBare('GET /messages/history', 200, browse);
    await againstBare('POST /exports/contacts', 300, {
      url: `${base}/exports/contacts`,
      method: 'POST',
      keys: exportAccounts.map((account) => account.apiKey),
      body: JSON.stringify({ timezone: 'Europe/Paris' }),
    });

    options.log('  draining the registered exports (export-worker) ...');
    const ids = exportAccounts.map((account) => account.accountId);
    const started = Date.now();
    apps.push(await stack.startApp('export-worker', env));
    let counts = await exportCounts(stack, ids);
    let reported = Date.now();
    while (counts.pending > 0 && Date.now() - started < 600_000) {
      await new Promise((resolveWait) => setTimeout(resolveWait, 500));
      counts = await exportCounts(stack, ids);
      if (Date.now() - reported >= 15_000) {
        reported = Date.now();
        options.log(`    ${counts.completed} COMPLETED, ${counts.pending} PENDING after ${((reported - started) / 1000).toFixed(0)} s`);
      }
    }
    if (counts.pending > 0) options.log(`    export-worker's last lines:\n${apps.at(-1)!.lines.slice(-40).join('\n')}`);
    const drain = { exports: counts.total, completed: counts.completed, seconds: (Date.now() - started) / 1000 };
    options.log(`    ${drain.completed} of ${drain.exports} exports COMPLETED in ${drain.seconds.toFixed(1)} s`);
    return { routes, bareRatios, drain };
  } finally {
    for (const app of apps.reverse()) await stack.stopApp(app);
    await stack.startHistoryService();
  }
}

async function exportCounts(stack: BenchStack, accountIds: string[]): Promise<{ total: number; pending: number; completed: number }> {
  const [row] = (await stack.dataSource.query(
    `SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'PENDING')::int AS pending, count(*) FILTER (WHERE status = 'COMPLETED')::int AS completed
     FROM exports WHERE account_id = ANY($1::uuid[])`,
    [accountIds],
  )) as Array<{ total: number; pending: number; completed: number }>;
  return row;
}

interface LoadRequest {
  url: string;
  method: 'GET' | 'POST';
  /** API keys, used in turn (X-Api-Key). */
  keys: string[];
  body?: string;
}

/**
 * Runs loadtest in a process of its own (so the load generator does not share an event loop
 * with the bench, which also hosts the S3 stand-in) and collects every request's latency and
 * status. loadtest is an ES module; the script below is its whole use.
 */
const LOAD_SCRIPT = `
import { loadTest } from 'loadtest';
const { keys, ...options } = JSON.parse(process.argv[1]);
const latencies = [];
const codes = {};
let errors = 0;
let next = 0;
const result = await loadTest({
  ...options,
  agentKeepAlive: true,
  quiet: true,
  requestGenerator: (_options, params, client, callback) =>
    client({ ...params, headers: { ...params.headers, 'X-Api-Key': keys[next++ % keys.length] } }, callback),
  statusCallback: (error, answer) => {
    if (answer && answer.statusCode) {
      codes[answer.statusCode] = (codes[answer.statusCode] || 0) + 1;
      latencies.push(answer.requestElapsed);
    } else errors += 1;
  },
});
const cpu = process.cpuUsage();
process.stdout.write(JSON.stringify({ latencies, codes, errors, seconds: result.elapsedSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
`;

async function generateLoad(request: LoadRequest & { rate: number; seconds: number }): Promise<Omit<LoadResult, 'name' | 'cpu'> & { loadGeneratorCpuSeconds: number }> {
  const options = {
    url: request.url,
    method: request.method,
    keys: request.keys,
    ...(request.body !== undefined ? { body: request.body, contentType: 'application/json' } : {}),
    requestsPerSecond: request.rate,
    maxRequests: request.rate * request.seconds,
    maxSeconds: request.seconds + 10,
    timeout: 10_000,
  };
  const output = await new Promise<string>((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', LOAD_SCRIPT, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolveRun(stdout) : reject(new Error(`load generator exited with ${code}: ${stderr.slice(0, 1000)}`))));
  });
  const run = JSON.parse(output.slice(output.lastIndexOf('{"latencies"'))) as { latencies: number[]; codes: Record<string, number>; errors: number; seconds: number; cpuSeconds: number };
  const requests = run.latencies.length;
  return {
    rate: request.rate,
    achieved: requests / run.seconds,
    requests,
    seconds: run.seconds,
    p50: percentile(run.latencies, 50),
    p99: percentile(run.latencies, 99),
    max: Math.max(...run.latencies),
    non2xx: Object.entries(run.codes).reduce((sum, [code, count]) => (code.startsWith('2') ? sum : sum + count), 0),
    errors: run.errors,
    loadGeneratorCpuSeconds: run.cpuSeconds,
    statusCodes: Object.entries(run.codes)
      .map(([code, count]) => `${code}: ${count}`)
      .join(', '),
  };
}
