import { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { accountSubject, Subjects } from '@exports/contracts';
import { BenchStack, Measurement, percentile } from './bench-stack';

const ACCOUNT = '00000000-0000-4000-8000-00000000be7c';
const OTHER_ACCOUNT = '00000000-0000-4000-8000-0000000000aa';
/** The account with `rows` messages, which the export benchmark reuses. */
export const BROWSE_ACCOUNT = ACCOUNT;
const FROM = '2026-01-01T00:00:00Z';
const TO = '2026-12-31T23:59:59Z';
const LIMIT = 20;

export interface BrowseBenchOptions {
  /** Messages of the benchmarked account (another account gets a tenth as many). */
  rows: number;
  /** Depth of the deep page, 1-based (page 10,000 = `page=9999`). */
  deepPage: number;
  /** Timed repetitions per measurement. */
  runs: number;
  /** Regenerate the data even if the database already has it. */
  fresh: boolean;
  log: (line: string) => void;
}

/**
 * Browsing cost by depth on a large account, measured the way callers see it: a
 * `history.browse` request over NATS to the real history-service, answered from
 * PostgreSQL. Data is generated in SQL (generate_series) and kept between runs.
 */
export async function runBrowseBench(stack: BenchStack, options: BrowseBenchOptions): Promise<{ measurements: Measurement[]; plan: string[]; setup: string }> {
  const setup = await ensureData(stack.dataSource, options);
  const browse = timedBrowse(stack.nats, stack.namespace.subject(accountSubject(Subjects.requests.historyBrowse, ACCOUNT)));
  const sms = { accountId: ACCOUNT, channel: ['SMS'], from: FROM, to: TO, limit: LIMIT };
  const all = { ...sms, channel: ['SMS', 'RCS', 'WHATSAPP'] };
  const deep = options.deepPage.toLocaleString('en-US');
  const measurements: Measurement[] = [];

  const walk = async (name: string, request: Record<string, unknown>) => {
    options.log(`  walking ${deep} pages by cursor (${(request.channel as string[]).join(',')}, limit ${LIMIT}) ...`);
    let cursor: string | undefined;
    const samples: number[] = [];
    for (let page = 1; page < options.deepPage; page++) {
      const { ms, page: body } = await browse({ ...request, ...(cursor ? { cursor } : {}) });
      samples.push(ms);
      if (!body.nextCursor) throw new Error(`only ${page} pages of ${LIMIT}: generate more rows or lower the depth`);
      cursor = body.nextCursor;
    }
    measurements.push({ name, samples });
    return cursor!;
  };
  const repeat = async (name: string, request: Record<string, unknown>, runs = options.runs) => {
    for (let i = 0; i < 5; i++) await browse(request); // warm-up
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) samples.push((await browse(request)).ms);
    measurements.push({ name, samples });
    options.log(`  ${name}: p50 ${percentile(samples, 50).toFixed(2)} ms`);
  };

  const deepCursor = await walk(`walk: pages 1-${(options.deepPage - 1).toLocaleString('en-US')} by cursor, each`, sms);
  const deepCursorAll = await walk(`walk: pages 1-${(options.deepPage - 1).toLocaleString('en-US')} by cursor, 3 channels, each`, all);
  await repeat('page 1 (page=0)', { ...sms, page: 0 });
  await repeat(`page ${deep} by cursor`, { ...sms, cursor: deepCursor });
  await repeat(`page ${deep} by page=${options.deepPage - 1} (OFFSET ${((options.deepPage - 1) * LIMIT).toLocaleString('en-US')})`, { ...sms, page: options.deepPage - 1 }, Math.min(options.runs, 20));
  await repeat('page 1, 3 channels (page=0)', { ...all, page: 0 });
  await repeat(`page ${deep} by cursor, 3 channels`, { ...all, cursor: deepCursorAll });
  await repeat(`page ${deep} by page=${options.deepPage - 1}, 3 channels`, { ...all, page: options.deepPage - 1 }, Math.min(options.runs, 20));

  return { measurements, plan: await explainDeepPage(stack.dataSource, options.deepPage), setup };
}

export async function ensureData(dataSource: DataSource, options: BrowseBenchOptions): Promise<string> {
  const counts = async (account: string) => (await dataSource.query(`SELECT count(*)::int AS n FROM messages WHERE account_id = $1`, [account]))[0].n as number;
  const otherRows = Math.ceil(options.rows / 10);
  if (!options.fresh && (await counts(ACCOUNT)) === options.rows && (await counts(OTHER_ACCOUNT)) === otherRows) {
    options.log(`Reusing ${options.rows.toLocaleString('en-US')} messages (--fresh regenerates them)`);
    return `${options.rows.toLocaleString('en-US')} messages reused`;
  }
  options.log(`Generating ${options.rows.toLocaleString('en-US')} messages (+${otherRows.toLocaleString('en-US')} of another account) with generate_series ...`);
  const started = Date.now();
  await dataSource.query(`DELETE FROM messages WHERE account_id = ANY($1::uuid[])`, [[ACCOUNT, OTHER_ACCOUNT]]);
  await dataSource.query(`INSERT INTO accounts (id, name) VALUES ($1, 'bench'), ($2, 'bench other') ON CONFLICT (id) DO NOTHING`, [ACCOUNT, OTHER_ACCOUNT]);
  await dataSource.transaction(async (manager) => {
    await manager.query(`SET LOCAL synchronous_commit = off`);
    for (const [account, rows] of [[ACCOUNT, options.rows], [OTHER_ACCOUNT, otherRows]] as const) {
      await insertMessages(manager, account, rows);
    }
  });
  // Sets hint bits and the visibility map, so the first timed runs do not pay for them.
  await dataSource.query('VACUUM (ANALYZE) messages');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  options.log(`  generated in ${seconds} s`);
  return `${(options.rows + otherRows).toLocaleString('en-US')} rows generated in ${seconds} s`;
}

/**
 * Inserts `rows` generated messages for one account (in a transaction of the caller).
 * Spread evenly over 2026 in the order of i; every 50th shares its predecessor's send_date,
 * so the message_id tie-break is exercised. 60% SMS, 25% WhatsApp, 15% RCS.
 */
export async function insertMessages(db: { query(sql: string, params?: unknown[]): Promise<unknown> }, account: string, rows: number): Promise<void> {
  await db.query(
    `INSERT INTO messages (account_id, message_id, customer_message_id, campaign_id, channel, direction, sender, destination, body,
                           status, status_description, error_code, status_at, send_date, delivery_date, cost, parts)
     SELECT $1::uuid,
            'msg-' || lpad(i::text, 9, '0'),
            CASE WHEN i % 2 = 0 THEN 'cust-' || i END,
            CASE i % 5 WHEN 0 THEN 'spring-sale' WHEN 1 THEN 'welcome' END,
            CASE WHEN i % 20 < 12 THEN 'SMS' WHEN i % 20 < 17 THEN 'WHATSAPP' ELSE 'RCS' END,
            CASE WHEN i % 13 = 0 THEN 'INBOUND' ELSE 'OUTBOUND' END,
            'ACME',
            '+336' || lpad((i % 100000000)::text, 8, '0'),
            (ARRAY['Your code is ' || (i % 1000000), 'Hello, "friend"' || chr(10) || 'see you', 'Order #' || i || ' shipped 🎉', 'ご注文ありがとうございます'])[1 + i % 4],
            CASE WHEN i % 13 = 0 THEN 'RECEIVED' WHEN i % 10 = 9 THEN 'ERROR' ELSE 'DELIVERED' END,
            CASE WHEN i % 10 = 9 AND i % 13 <> 0 THEN 'Handset unreachable' END,
            CASE WHEN i % 10 = 9 AND i % 13 <> 0 THEN 'E021' END,
            sd + interval '20 seconds',
            sd,
            CASE WHEN i % 13 <> 0 AND i % 10 <> 9 THEN sd + interval '20 seconds' END,
            0.045,
            1 + i % 3
     FROM generate_series(1, $2::int) AS i,
          LATERAL (SELECT timestamptz '${FROM}' + ((i - (CASE WHEN i % 50 = 0 THEN 1 ELSE 0 END)) * (31536000.0 / $2::int)) * interval '1 second' AS sd) AS t`,
    [account, rows],
  );
}

/** The plan of the deep cursor page for one channel, as history-service queries it. */
async function explainDeepPage(dataSource: DataSource, deepPage: number): Promise<string[]> {
  const [position] = await dataSource.query(
    `SELECT send_date, message_id FROM messages WHERE account_id = $1 AND channel = 'SMS' AND send_date BETWEEN $2 AND $3
     ORDER BY send_date, message_id OFFSET $4 LIMIT 1`,
    [ACCOUNT, FROM, TO, (deepPage - 1) * LIMIT - 1],
  );
  const rows: Array<{ 'QUERY PLAN': string }> = await dataSource.query(
    `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
     SELECT * FROM messages WHERE account_id = $1 AND send_date >= $2 AND send_date <= $3 AND (send_date, message_id) > ($4, $5) AND channel = 'SMS'
     ORDER BY send_date, message_id LIMIT ${LIMIT + 1}`,
    [ACCOUNT, FROM, TO, position.send_date, position.message_id],
  );
  return rows.map((row) => row['QUERY PLAN']);
}

interface Page {
  messages: unknown[];
  nextCursor: string | null;
}

/** A request in the Nest microservice packet format; resolves with its round-trip time. */
function timedBrowse(nats: NatsConnection, subject: string) {
  let id = 0;
  return async (data: Record<string, unknown>): Promise<{ ms: number; page: Page }> => {
    const started = process.hrtime.bigint();
    const reply = await nats.request(subject, JSON.stringify({ id: `bench-${++id}`, pattern: subject, data }), { timeout: 30_000 });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const body = JSON.parse(reply.string()) as { response?: Page; err?: unknown };
    if (!body.response) throw new Error(`history.browse failed: ${JSON.stringify(body.err)}`);
    return { ms, page: body.response };
  };
}
