import 'reflect-metadata';
import { cpus, totalmem } from 'node:os';
import { ConfigError, loadConfig } from '@exports/platform';
import { BenchStack, Measurement, percentile } from './bench-stack';
import { runBrowseBench } from './history-browse.bench';
import { IngestResult, runIngestBench } from './messages-ingest.bench';

const USAGE = `Usage: npm run bench [-- --quick] [-- --fresh]

1. Message-history browsing: page 1 against page 10,000, by cursor and by page number, on
   1,000,000 messages of one account, through NATS request-reply to the real history-service.
2. Ingestion: a burst of 100,000 messages and their 100,000 delivery reports on the PLATFORM
   stream, then the same burst replayed.

history-service runs from dist/ (npm run bench builds first). Data goes to a database of its
own (exports_bench on the DATABASE_URL server, or BENCH_DATABASE_URL), kept for the next run.

  --quick   100,000 messages and page 1,000; a burst of 10,000 (also BENCH_QUICK=1)
  --fresh   regenerate the browsing data even if it is there`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1';
  const config = loadConfig();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const rows = quick ? 100_000 : 1_000_000;
  const deepPage = quick ? 1_000 : 10_000;
  const runs = quick ? 30 : 100;
  const burst = quick ? 10_000 : 100_000;

  const started = Date.now();
  const stack = await BenchStack.open(config);
  try {
    log(`Database ${stack.databaseName}; starting history-service from dist/ ...`);
    await stack.startHistoryService();
    log('Browsing:');
    const browse = await runBrowseBench(stack, { rows, deepPage, runs, fresh: args.includes('--fresh'), log });
    log('Ingestion:');
    const ingest = await runIngestBench(stack, { messages: burst, log });

    const lines = [
      '',
      `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}; database ${stack.databaseName}`,
      '',
      `Browsing: history.browse over NATS, ${rows.toLocaleString('en-US')} messages in one account (${Math.round(rows * 0.6).toLocaleString('en-US')} SMS), limit 20 (${browse.setup})`,
      '',
      browseTable(browse.measurements),
      '',
      `Plan of page ${deepPage.toLocaleString('en-US')} by cursor (SMS), in PostgreSQL:`,
      ...browse.plan.map((line) => `    ${line}`),
      '',
      'Ingestion: one history-service instance, batches of up to 500 events',
      '',
      ingestTable(ingest),
      '',
      `total ${((Date.now() - started) / 1000).toFixed(0)} s`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } catch (error) {
    log(`Last lines of history-service:\n${stack.serviceLog()}`);
    throw error;
  } finally {
    await stack.close();
  }
}

function browseTable(measurements: Measurement[]): string {
  return markdownTable(
    ['query', 'n', 'p50 ms', 'p95 ms', 'max ms'],
    measurements.map((m) => [m.name, String(m.samples.length), percentile(m.samples, 50).toFixed(2), percentile(m.samples, 95).toFixed(2), Math.max(...m.samples).toFixed(2)]),
  );
}

function ingestTable(results: IngestResult[]): string {
  return markdownTable(
    ['burst', 'events', 'published in s', 'all ingested in s', 'events/s'],
    results.map((r) => [r.name, r.events.toLocaleString('en-US'), r.publishSeconds.toFixed(1), r.ingestSeconds.toFixed(1), Math.round(r.events / r.ingestSeconds).toLocaleString('en-US')]),
  );
}

function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof ConfigError ? error.message : ((error as Error)?.stack ?? String(error))}\n`);
  process.exit(1);
});
