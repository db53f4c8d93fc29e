import { AccountsRepository } from '@exports/database';
import { BenchStack, percentile } from './bench-stack';
import { BIG_ACCOUNT } from './export.bench';

/** The export section's request: the whole of 2026, rendered in Paris. */
const BODY = { startDateTime: '2026-01-01T00:00:00Z', endDateTime: '2026-12-31T23:59:59Z', timezone: 'Europe/Paris' };
const WARM_UP = 20;

export interface EstimateBenchOptions {
  /** Timed requests, one after the other (200). */
  runs: number;
  log: (line: string) => void;
}

export interface EstimateBenchResult {
  /** Messages of the account, counted. */
  rows: number;
  /** Round trip of each timed request, ms. */
  ms: number[];
  /** What the last request answered. */
  estimate: { rowCount: number; exact: boolean; sizeBytes: number; parts: number };
  /** Every timed request answered the planner's estimate (`exact: false`). */
  plannerOnly: boolean;
}

/**
 * POST /messages/history/export/estimate of the export section's 5M-row account over HTTP, on a
 * gateway of its own with the default estimate settings: sequential requests after a warm-up,
 * each answered from the planner (too many rows to count). The data is the export section's:
 * missing, the section stops and says so rather than generating 5M rows.
 */
export async function runEstimateBench(stack: BenchStack, options: EstimateBenchOptions): Promise<EstimateBenchResult> {
  const [{ n: rows }] = await stack.dataSource.query(`SELECT count(*)::int AS n FROM messages WHERE account_id = $1`, [BIG_ACCOUNT]);
  if (rows === 0) throw new Error(`the big account ${BIG_ACCOUNT} has no messages: run "npm run bench -- --only=export" once to generate them`);
  const apiKey = await new AccountsRepository(stack.dataSource).createApiKey(BIG_ACCOUNT);
  const namespace = stack.newNamespace();
  const port = 20000 + Math.floor(Math.random() * 20000);
  const gateway = await stack.startApp('api-gateway', { NATS_NAMESPACE: namespace.prefix, S3_BUCKET: `bench-estimate-${namespace.prefix}`, PORT: String(port), RATE_LIMIT_REQUESTS: '1000000' });
  try {
    options.log(`  ${WARM_UP} + ${options.runs} sequential estimates of ${rows.toLocaleString('en-US')} messages ...`);
    const estimate = () => timedEstimate(`http://127.0.0.1:${port}/messages/history/export/estimate`, apiKey);
    for (let i = 0; i < WARM_UP; i++) await estimate();
    const answers = [];
    for (let i = 0; i < options.runs; i++) answers.push(await estimate());
    const ms = answers.map((answer) => answer.ms);
    options.log(`    p50 ${percentile(ms, 50).toFixed(2)} ms, p99 ${percentile(ms, 99).toFixed(2)} ms`);
    return { rows, ms, estimate: answers[answers.length - 1].body, plannerOnly: answers.every((answer) => !answer.body.exact) };
  } finally {
    await stack.stopApp(gateway);
  }
}

async function timedEstimate(url: string, apiKey: string): Promise<{ ms: number; body: EstimateBenchResult['estimate'] }> {
  const started = process.hrtime.bigint();
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Api-Key': apiKey }, body: JSON.stringify(BODY) });
  const body = (await response.json()) as EstimateBenchResult['estimate'];
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (response.status !== 200) throw new Error(`POST /messages/history/export/estimate answered ${response.status}: ${JSON.stringify(body)}`);
  return { ms, body };
}
