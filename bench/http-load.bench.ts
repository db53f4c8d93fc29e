import { spawn } from 'node:child_process';
import { AccountsRepository } from '@exports/database';
import { BenchStack } from './bench-stack';
import { BROWSE_ACCOUNT } from './history-browse.bench';

/** The options of autocannon 8 this bench passes, and the part of its JSON result it reads. */
interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections?: number;
  duration?: number;
  overallRate: number;
  maxOverallRequests: number;
  timeout?: number;
}

interface LoadRunResult {
  latency: { p50: number; p99: number; max: number };
  requests: { total: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}

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
}

/**
 * The gateway under a fixed request rate (autocannon, `overallRate`, bounded by duration and
 * count, localhost only): GET /messages/history (page 1 of the browsing account, through NATS
 * to history-service) and POST /exports/contacts (registers an export; an export-worker drains
 * them). Latencies are corrected for coordinated omission, as autocannon does at a fixed rate.
 */
export async function runHttpLoadBench(stack: BenchStack, options: HttpLoadOptions): Promise<LoadResult[]> {
  const namespace = stack.newNamespace();
  const port = 20000 + Math.floor(Math.random() * 20000);
  const env = {
    NATS_NAMESPACE: namespace.prefix,
    S3_BUCKET: `bench-load-${namespace.prefix}`,
    RATE_LIMIT_REQUESTS: '100000000',
    EXPORT_MAX_OPEN_PER_ACCOUNT: '1000000',
  };
  const apps = [
    await stack.startApp('history-service', env),
    await stack.startApp('export-worker', env),
    await stack.startApp('api-gateway', { ...env, PORT: String(port) }),
  ];
  try {
    const accounts = new AccountsRepository(stack.dataSource);
    const browseKey = await accounts.createApiKey(BROWSE_ACCOUNT);
    const { apiKey: exportKey } = await accounts.createAccount('bench http load');
    const base = `http://127.0.0.1:${port}`;
    const history = `${base}/messages/history?channel=SMS&from=2026-01-01T00:00:00Z&to=2026-12-31T23:59:59Z&limit=20`;
    const check = await fetch(history, { headers: { 'X-Api-Key': browseKey } });
    if (check.status !== 200) throw new Error(`GET /messages/history answered ${check.status}: ${await check.text()}`);

    const results: LoadResult[] = [];
    const load = async (name: string, rate: number, request: { url: string; method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }, seconds = options.seconds) => {
      // A short warm-up at the same rate (JIT, connection pools), not measured.
      await autocannon({ ...request, connections: 10, overallRate: rate, duration: 2, maxOverallRequests: rate * 2, timeout: 10 });
      options.log(`  ${name}: ${rate} req/s for ${seconds} s ...`);
      // 50 connections: enough for the offered rate to hold while responses take up to ~150 ms.
      const result = await autocannon({ ...request, connections: 50, overallRate: rate, duration: seconds, maxOverallRequests: rate * seconds, timeout: 10 });
      const statusCodes = Object.entries(result.statusCodeStats)
        .map(([code, { count }]) => `${code}: ${count}`)
        .join(', ');
      const row: LoadResult = {
        name,
        rate,
        achieved: result.requests.total / result.duration,
        requests: result.requests.total,
        seconds: result.duration,
        p50: result.latency.p50,
        p99: result.latency.p99,
        max: result.latency.max,
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
        statusCodes,
      };
      options.log(`    p50 ${row.p50} ms, p99 ${row.p99} ms, ${row.requests} answered (${statusCodes}), ${row.errors} errors`);
      results.push(row);
    };
    // The same request at a low rate: what one request costs when nothing queues.
    await load('GET /messages/history (reference, low rate)', 20, { url: history, method: 'GET', headers: { 'X-Api-Key': browseKey } }, 5);
    await load('GET /messages/history', 200, { url: history, method: 'GET', headers: { 'X-Api-Key': browseKey } });
    await load('POST /exports/contacts', 300, {
      url: `${base}/exports/contacts`,
      method: 'POST',
      headers: { 'X-Api-Key': exportKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ timezone: 'Europe/Paris' }),
    });
    return results;
  } finally {
    for (const app of apps.reverse()) await stack.stopApp(app);
  }
}

/**
 * autocannon's own command line in a child process, so the load generator does not share an
 * event loop (or its CPU time) with the bench process, which also hosts the S3 stand-in.
 */
function autocannon(options: LoadOptions): Promise<LoadRunResult> {
  const args = [
    require.resolve('autocannon/autocannon.js'),
    '--json', '--no-progress',
    '-c', String(options.connections ?? 10),
    '-d', String(options.duration ?? 10),
    '-R', String(options.overallRate),
    '-O', String(options.maxOverallRequests),
    '-t', String(options.timeout ?? 10),
    '-m', options.method ?? 'GET',
    ...Object.entries(options.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}=${value}`]),
    ...(options.body !== undefined ? ['-b', options.body] : []),
    options.url,
  ];
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}: ${stderr}`));
      try {
        resolveRun(JSON.parse(stdout) as LoadRunResult);
      } catch {
        reject(new Error(`autocannon printed no JSON: ${stdout.slice(0, 500)} ${stderr.slice(0, 500)}`));
      }
    });
  });
}
