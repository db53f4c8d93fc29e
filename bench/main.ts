import 'reflect-metadata';
import { cpus, totalmem } from 'node:os';
import { ExportFormat, FORMAT_TRAITS } from '@exports/contracts';
import { ConfigError, loadConfig } from '@exports/platform';
import { BenchStack, Measurement, median, percentile } from './bench-stack';
import { EstimateBenchResult, runEstimateBench } from './estimate.bench';
import { ExportBenchResult, runExportBench } from './export.bench';
import { ensureData, runBrowseBench } from './history-browse.bench';
import { BareRatio, HttpLoadOptions, HttpLoadResult, LoadResult, runHttpLoadBench } from './http-load.bench';
import { IngestResult, runIngestBench } from './messages-ingest.bench';

const SECTIONS = ['browse', 'ingest', 'export', 'http', 'estimate'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `Usage: npm run bench [-- --quick] [-- --fresh] [-- --only=export,http]

1. Message-history browsing: page 1 against page 10,000, by cursor and by page number, on
   1,000,000 messages of one account, through NATS request-reply to the real history-service.
2. Ingestion: a backlog of 100,000 messages and their 100,000 delivery reports on the PLATFORM
   stream, drained by history-service (first pull to last ack); then the same events replayed.
3. Export: a message-history export of the 1,000,000 messages (request -> COMPLETED through the
   gateway and history-service) in csv, csv.gz, jsonl and jsonl.gz, each against psql \\copy of
   the same SELECT to /dev/null, side by side; history-service peak RSS of each format, and at 5M
   rows in 5 parts; csv.gz at gzip levels 1, 3 and 6; request -> COMPLETED of 1,000-row exports; a
   fresh history-service that ingests 1M platform events, then exports them (its peak RSS).
4. HTTP load (loadtest, fixed arrival rate): GET /messages/history at 200 req/s, POST
   /exports/contacts at 300 req/s, against the gateway on localhost; then the exports drained.
5. Estimate: 200 sequential POST /messages/history/export/estimate of the export section's
   5,000,000-message account over HTTP, after a warm-up (the planner's estimate, exact: false).

history-service runs from dist/ (npm run bench builds first). Data goes to a database of its
own (exports_bench on the DATABASE_URL server, or BENCH_DATABASE_URL), kept for the next run.

  --quick   100,000 messages and page 1,000; a burst of 10,000; exports of 100,000 against
            500,000 rows (in parts of 100,000); 5 s of HTTP load per route (also BENCH_QUICK=1)
  --fresh   regenerate the browsing data even if it is there
  --only    run only these sections (browse, ingest, export, http, estimate); the targets of the others show as not run`;

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
  const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');
  const selected = (section: Section) => !only || only.includes(section);
  if (only?.some((name) => !(SECTIONS as readonly string[]).includes(name))) throw new Error(`--only takes ${SECTIONS.join(', ')}`);

  const started = Date.now();
  const stack = await BenchStack.open(config);
  try {
    log(`Database ${stack.databaseName}; starting history-service from dist/ ...`);
    await stack.startHistoryService();
    const fresh = args.includes('--fresh');
    let browse: Awaited<ReturnType<typeof runBrowseBench>> | undefined;
    if (selected('browse')) {
      log('Browsing:');
      browse = await runBrowseBench(stack, { rows, deepPage, runs, fresh, log });
    } else {
      await ensureData(stack.dataSource, { rows, deepPage, runs, fresh, log });
    }
    let ingest: IngestResult[] | undefined;
    if (selected('ingest')) {
      log('Ingestion:');
      ingest = await runIngestBench(stack, { messages: burst, log });
    }
    let exported: ExportBenchResult | undefined;
    if (selected('export')) {
      log('Export:');
      // Quick: 5 parts too, as the full run's 5M rows at the default maxRowsPerFile.
      exported = await runExportBench(stack, { rows, bigRows: quick ? 500_000 : 5_000_000, bigMaxRowsPerFile: quick ? 100_000 : undefined, runs: quick ? 2 : 3, smallRuns: quick ? 10 : 20, log });
    }
    let load: HttpLoadResult | undefined;
    const loadOptions: HttpLoadOptions = { seconds: quick ? 5 : 10, log };
    if (selected('http')) {
      log('HTTP load:');
      load = await runHttpLoadBench(stack, loadOptions);
    }
    let estimated: EstimateBenchResult | undefined;
    if (selected('estimate')) {
      log('Estimate:');
      estimated = await runEstimateBench(stack, { runs: 200, log });
    }

    const lines = [
      '',
      `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}; database ${stack.databaseName}`,
      '',
      ...(browse
        ? [
            `Browsing: history.browse over NATS, ${rows.toLocaleString('en-US')} messages in one account (${Math.round(rows * 0.6).toLocaleString('en-US')} SMS), limit 20 (${browse.setup})`,
            '',
            browseTable(browse.measurements),
            '',
            `Plan of page ${deepPage.toLocaleString('en-US')} by cursor (SMS), in PostgreSQL:`,
            ...browse.plan.map((line) => `    ${line}`),
            '',
          ]
        : []),
      ...(ingest ? ['Ingestion: a backlog on the PLATFORM stream drained by one history-service (batches of up to INGEST_BATCH_SIZE events, 1000 by default, two in flight); publishing timed apart', '', ingestTable(ingest), ''] : []),
      ...(exported
        ? [
            `Export: message history of ${rows.toLocaleString('en-US')} messages, Europe/Paris, every column; each format on a fresh history-service, ${exported.formats[0].exportSeconds.length} interleaved runs of its export and its psql \\copy`,
            '',
            exportTable(exported),
            '',
            formatTable(exported),
            '',
            `csv.gz of the ${rows.toLocaleString('en-US')} messages at each EXPORT_GZIP_LEVEL, one export on a fresh history-service each (ratio: its size to the csv's):`,
            '',
            gzipTable(exported),
            '',
          ]
        : []),
      ...(load
        ? [
            `HTTP load: loadtest (own process), fixed arrival rate (one request every 1/rate s, keep-alive), ${loadOptions.seconds} s per route after 3 s of warm-up; POST spread over 100 accounts`,
            '',
            loadTable(load.routes),
            '',
            'CPU time per answered request while each route was measured (user + system, from /proc; PostgreSQL is every server process of the machine, NATS every nats-server process):',
            '',
            cpuTable(load.routes),
            '',
            `The ${load.drain.exports.toLocaleString('en-US')} exports registered were then drained by an export-worker: ${load.drain.completed.toLocaleString('en-US')} COMPLETED in ${load.drain.seconds.toFixed(1)} s.`,
            '',
          ]
        : []),
      ...(estimated
        ? [
            `Estimate: POST /messages/history/export/estimate of ${estimated.rows.toLocaleString('en-US')} messages of one account, ${estimated.ms.length} sequential requests: p50 ${percentile(estimated.ms, 50).toFixed(2)} ms, p99 ${percentile(estimated.ms, 99).toFixed(2)} ms, max ${Math.max(...estimated.ms).toFixed(2)} ms; answered ${JSON.stringify(estimated.estimate)}`,
            '',
          ]
        : []),
      `Targets${quick ? ' (--quick: smaller data and shorter runs than the targets name)' : ''}:`,
      '',
      targetTable(targets({ quick, rows, deepPage, browse: browse?.measurements, exported, load: load?.routes, bareRatios: load?.bareRatios, ingest, estimated })),
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
    ['backlog', 'events', 'published in s', 'drained in s', 'events/s', 'history-service µs/event', 'PostgreSQL µs/event', 'NATS server µs/event', 'machine busy %'],
    results.map((r) => [
      r.name,
      r.events.toLocaleString('en-US'),
      r.publishSeconds.toFixed(1),
      r.ingestSeconds.toFixed(1),
      Math.round(r.events / r.ingestSeconds).toLocaleString('en-US'),
      r.cpu.historyService.toFixed(1),
      r.cpu.postgres.toFixed(1),
      r.cpu.natsServer.toFixed(1),
      r.cpu.machineBusy.toFixed(0),
    ]),
  );
}

function exportTable(r: ExportBenchResult): string {
  const row = (name: string, seconds: number[]) => [name, String(seconds.length), median(seconds).toFixed(2), Math.min(...seconds).toFixed(2), Math.max(...seconds).toFixed(2)];
  return markdownTable(
    ['path', 'runs', 'median s', 'min s', 'max s'],
    [
      ...r.formats.flatMap((f) => [
        row(`psql \\copy of the ${selectOf(f.format)} SELECT to /dev/null (beside ${f.format})`, f.psqlSeconds),
        row(`export ${f.format}: POST -> COMPLETED (sha256, S3)`, f.exportSeconds),
      ]),
      row('psql \\copy of plain SELECT * ORDER BY send_date (beside csv)', r.psqlRawSeconds),
      row(`export of ${r.bigRows.toLocaleString('en-US')} rows in ${r.bigFileRows.length} parts, fresh process`, [r.bigExportSeconds]),
      row('export of 1,000 rows: POST -> COMPLETED', r.smallMs.map((ms) => ms / 1000)),
      row(`export of ${r.lived.events.toLocaleString('en-US')} rows just ingested, same process`, [r.lived.exportSeconds]),
    ],
  ) +
    `\n\nhistory-service peak RSS (VmHWM): ${r.idleRssMB.toFixed(0)} MB after start; after the ${r.rows.toLocaleString('en-US')}-row exports, each format on its own process: ${r.formats.map((f) => `${f.format} ${f.peakRssMB.toFixed(0)} MB`).join(', ')};` +
    ` ${r.bigPeakRssMB.toFixed(0)} MB after the ${r.bigRows.toLocaleString('en-US')}-row export (files of ${fileRows(r.bigFileRows)});` +
    ` ${r.lived.afterIngestRssMB.toFixed(0)} MB after ingesting ${r.lived.events.toLocaleString('en-US')} events (in ${r.lived.ingestSeconds.toFixed(1)} s, publishing included), ${r.lived.peakRssMB.toFixed(0)} MB after then exporting them`;
}

/** The formats side by side: each export against psql \copy of its SELECT (medians), its files' size and its process's peak RSS. */
function formatTable(r: ExportBenchResult): string {
  return markdownTable(
    ['format', 'SELECT', 'export / psql \\copy', 'size MB', 'peak RSS MB'],
    r.formats.map((f) => [f.format, selectOf(f.format), `${(median(f.exportSeconds) / median(f.psqlSeconds)).toFixed(2)}x`, (f.sizeBytes / 1e6).toFixed(0), f.peakRssMB.toFixed(0)]),
  );
}

function gzipTable(r: ExportBenchResult): string {
  const csv = r.formats.find((f) => f.format === ExportFormat.Csv)!;
  return markdownTable(
    ['gzip level', 'export s', 'size MB', 'ratio to csv'],
    r.gzipLevels.map((g) => [String(g.level), g.seconds.toFixed(2), (g.sizeBytes / 1e6).toFixed(1), (g.sizeBytes / csv.sizeBytes).toFixed(3)]),
  );
}

/** The SELECT a format is read with: the CSV one (csv, csv.gz) or the JSON Lines one (jsonl, jsonl.gz). */
function selectOf(format: ExportFormat): string {
  return FORMAT_TRAITS[format].jsonLines ? 'JSON Lines' : 'CSV';
}

/** `5 x 1,000,000 rows` when the files have as many rows each, otherwise each file's rows. */
function fileRows(rows: number[]): string {
  const n = (value: number) => value.toLocaleString('en-US');
  return rows.every((count) => count === rows[0]) ? `${rows.length} x ${n(rows[0])} rows` : `${rows.map(n).join(' + ')} rows`;
}

function loadTable(results: LoadResult[]): string {
  return markdownTable(
    ['route', 'req/s', 'achieved req/s', 'answered', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors', 'status codes'],
    results.map((r) => [r.name, String(r.rate), r.achieved.toFixed(0), String(r.requests), r.p50.toFixed(1), r.p99.toFixed(1), r.max.toFixed(1), String(r.non2xx), String(r.errors), r.statusCodes]),
  );
}

function cpuTable(results: LoadResult[]): string {
  const ms = (value: number) => value.toFixed(2);
  return markdownTable(
    ['route', 'req/s', 'api-gateway ms', 'history-service ms', 'PostgreSQL ms', 'NATS server ms', 'load generator ms', 'machine busy %'],
    results.map((r) => [r.name, String(r.rate), ms(r.cpu.gateway), ms(r.cpu.historyService), ms(r.cpu.postgres), ms(r.cpu.natsServer), ms(r.cpu.loadGenerator), r.cpu.machineBusy.toFixed(0)]),
  );
}

interface Target {
  target: string;
  measured: string;
  pass: boolean | undefined;
}

/** Each format's full export against psql \copy of its SELECT: the most it may take, and the aim; none: reported only. */
const COPY_RATIO_TARGETS: Record<ExportFormat, { max: number; aim?: number } | undefined> = {
  [ExportFormat.Csv]: { max: 1.25, aim: 1.1 },
  [ExportFormat.CsvGzip]: { max: 1.6 },
  [ExportFormat.Jsonl]: { max: 1.4 },
  [ExportFormat.JsonlGzip]: undefined,
};

function targets(input: {
  quick: boolean;
  rows: number;
  deepPage: number;
  browse?: Measurement[];
  exported?: ExportBenchResult;
  load?: LoadResult[];
  bareRatios?: BareRatio[];
  ingest?: IngestResult[];
  estimated?: EstimateBenchResult;
}): Target[] {
  const { exported: e, load, ingest } = input;
  const n = (value: number) => value.toLocaleString('en-US');
  const notRun = (target: string): Target => ({ target, measured: 'not run', pass: undefined });
  const list: Target[] = [];
  const first = input.browse?.find((m) => m.name === 'page 1 (page=0)');
  const deep = input.browse?.find((m) => m.name === `page ${n(input.deepPage)} by cursor`);
  const browseTarget = `page ${n(input.deepPage)} by cursor within 1.5x of page 1 (p50)`;
  if (first && deep) {
    const ratio = median(deep.samples) / median(first.samples);
    list.push({ target: browseTarget, measured: `${ratio.toFixed(2)}x (${median(deep.samples).toFixed(2)} ms / ${median(first.samples).toFixed(2)} ms)`, pass: ratio <= 1.5 });
  } else {
    list.push(notRun(browseTarget));
  }
  if (e) {
    const csv = e.formats.find((f) => f.format === ExportFormat.Csv)!;
    for (const f of e.formats) {
      const limit = COPY_RATIO_TARGETS[f.format];
      const against = `psql \\copy of the ${selectOf(f.format)} SELECT`;
      const ratio = median(f.exportSeconds) / median(f.psqlSeconds);
      list.push({
        target: limit ? `full ${f.format} export of ${n(e.rows)} rows <= ${limit.max}x ${against}${limit.aim ? ` (aim ${limit.aim}x)` : ''}` : `full ${f.format} export of ${n(e.rows)} rows against ${against} (reported)`,
        measured: `${ratio.toFixed(2)}x (${median(f.exportSeconds).toFixed(2)} s / ${median(f.psqlSeconds).toFixed(2)} s)`,
        pass: limit ? ratio <= limit.max : undefined,
      });
    }
    const plain = median(csv.exportSeconds) / median(e.psqlRawSeconds);
    list.push({
      target: `full csv export of ${n(e.rows)} rows <= 1.5x plain \\copy SELECT * (aim 1.25x)`,
      measured: `${plain.toFixed(2)}x (${median(csv.exportSeconds).toFixed(2)} s / ${median(e.psqlRawSeconds).toFixed(2)} s)`,
      pass: plain <= 1.5,
    });
    for (const f of e.formats) {
      // The 5M-row export is csv too, on a process of its own: its peak counts with csv's.
      const peak = f === csv ? Math.max(f.peakRssMB, e.bigPeakRssMB) : f.peakRssMB;
      list.push({ target: `export process peak RSS < 150 MB, ${f.format}`, measured: `${peak.toFixed(0)} MB`, pass: peak < 150 });
    }
    const flat = e.bigPeakRssMB / csv.peakRssMB;
    // Every file full but the last, as GET /exports/{exportId} lists them: 5M rows at the default maxRowsPerFile are 5 x 1M.
    const parts = Math.ceil(e.bigRows / e.bigRowsPerFile);
    const expected = Array.from({ length: parts }, (_, part) => Math.min(e.bigRowsPerFile, e.bigRows - part * e.bigRowsPerFile));
    list.push({
      target: `peak RSS at ${n(e.bigRows)} rows in ${parts} parts within 10% of the ${n(e.rows)}-row RSS`,
      measured: `${flat.toFixed(2)}x (${e.bigPeakRssMB.toFixed(0)} MB / ${csv.peakRssMB.toFixed(0)} MB); files of ${fileRows(e.bigFileRows)}`,
      pass: flat <= 1.1 && e.bigFileRows.join() === expected.join(),
    });
    list.push({
      target: `peak RSS < 150 MB in a process that ingested ${n(e.lived.events)} events, then exported them`,
      measured: `${e.lived.peakRssMB.toFixed(0)} MB (${e.lived.afterIngestRssMB.toFixed(0)} MB after ingesting)`,
      pass: e.lived.peakRssMB < 150,
    });
    list.push({ target: '1,000-row export POST -> COMPLETED, median < 500 ms', measured: `${median(e.smallMs).toFixed(0)} ms (n=${e.smallMs.length})`, pass: median(e.smallMs) < 500 });
  } else {
    const formats = Object.values(ExportFormat);
    list.push(
      ...formats.map((format) => notRun(`full ${format} export against psql \\copy of its SELECT`)),
      notRun('full csv export <= 1.5x plain \\copy SELECT *'),
      ...formats.map((format) => notRun(`export process peak RSS < 150 MB, ${format}`)),
      notRun('peak RSS flat (5M rows in 5 parts within 10% of 1M)'),
      notRun('peak RSS < 150 MB after ingesting, then exporting'),
      notRun('1,000-row export median < 500 ms'),
    );
  }
  const browse = load?.find((r) => r.name === 'GET /messages/history');
  list.push(
    browse
      ? { target: 'GET /messages/history p99 < 25 ms at 200 req/s', measured: `${browse.p99.toFixed(1)} ms (${browse.achieved.toFixed(0)} req/s held, ${browse.non2xx + browse.errors} failed)`, pass: browse.p99 < 25 && browse.non2xx + browse.errors === 0 && browse.achieved >= browse.rate * 0.95 }
      : notRun('GET /messages/history p99 < 25 ms at 200 req/s'),
  );
  const post = load?.find((r) => r.name.startsWith('POST'));
  list.push(
    post
      ? { target: 'POST /exports/contacts p99 < 20 ms at 300 req/s, 0 errors', measured: `${post.p99.toFixed(1)} ms (${post.achieved.toFixed(0)} req/s held, ${post.non2xx + post.errors} failed)`, pass: post.p99 < 20 && post.non2xx + post.errors === 0 && post.achieved >= post.rate * 0.95 }
      : notRun('POST /exports/contacts p99 < 20 ms at 300 req/s, 0 errors'),
  );
  for (const [method, route] of [['GET', 'GET /messages/history'], ['POST', 'POST /exports/contacts']]) {
    const target = `${method} p99 within 3x of bare route`;
    const bare = input.bareRatios?.find((r) => r.route === route);
    list.push(bare ? { target, measured: `${bare.ratio.toFixed(2)}x (${bare.p99.toFixed(1)} ms / ${bare.bareP99.toFixed(1)} ms at ${bare.rate} req/s)`, pass: bare.ratio <= 3 } : notRun(target));
  }
  const drained = ingest?.[0];
  list.push(
    drained
      ? { target: '>= 20,000 platform events/s into PostgreSQL', measured: `${n(Math.round(drained.events / drained.ingestSeconds))} events/s (${n(drained.events)} events)`, pass: drained.events / drained.ingestSeconds >= 20_000 }
      : notRun('>= 20,000 platform events/s into PostgreSQL'),
  );
  const estimate = input.estimated;
  const estimateTarget = 'POST /messages/history/export/estimate p99 < 50 ms (planner path)';
  list.push(
    estimate
      ? { target: estimateTarget, measured: `${percentile(estimate.ms, 99).toFixed(1)} ms (${n(estimate.rows)} rows, ${estimate.plannerOnly ? 'every answer exact: false' : 'some answers counted'})`, pass: percentile(estimate.ms, 99) < 50 && estimate.plannerOnly }
      : notRun(estimateTarget),
  );
  return list;
}

function targetTable(list: Target[]): string {
  return markdownTable(
    ['target', 'measured', 'result'],
    list.map((t) => [t.target, t.measured, t.pass === undefined ? '-' : t.pass ? 'pass' : 'MISS']),
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
