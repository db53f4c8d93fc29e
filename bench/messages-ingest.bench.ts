import { Consumers, Subjects } from '@exports/contracts';
import { BenchStack } from './bench-stack';

const ACCOUNT = '00000000-0000-4000-8000-0000000010ad';

export interface IngestBenchOptions {
  /** Messages in the burst; each gets one delivery report, so twice as many events. */
  messages: number;
  log: (line: string) => void;
}

export interface IngestResult {
  name: string;
  events: number;
  publishSeconds: number;
  ingestSeconds: number;
}

/**
 * A burst on the PLATFORM stream, published as fast as JetStream acks it: N messages,
 * then a DELIVERED report for each. Measures how long history-service takes until every
 * row is in PostgreSQL with its status applied; then the same burst again (a replay),
 * until the consumer has nothing pending.
 */
export async function runIngestBench(stack: BenchStack, options: IngestBenchOptions): Promise<IngestResult[]> {
  await stack.dataSource.query(`DELETE FROM messages WHERE account_id = $1`, [ACCOUNT]);
  await stack.dataSource.query(`DELETE FROM delivery_reports WHERE account_id = $1`, [ACCOUNT]);
  const sendMs = Date.parse('2026-06-01T00:00:00Z');
  const events: Array<[string, string]> = [];
  for (let i = 0; i < options.messages; i++) {
    const messageId = `ingest-${String(i).padStart(8, '0')}`;
    const sendDate = new Date(sendMs + i * 1000).toISOString();
    events.push([
      Subjects.platform.messagesRecorded,
      JSON.stringify({
        accountId: ACCOUNT,
        message: { messageId, channel: 'SMS', direction: 'OUTBOUND', sender: 'ACME', destination: '+33611111111', body: `Burst message ${i}, "quoted"`, status: 'SENT', sendDate, cost: 0.045, parts: 1 },
      }),
    ]);
  }
  for (let i = 0; i < options.messages; i++) {
    const occurredAt = new Date(sendMs + i * 1000 + 15_000).toISOString();
    events.push([Subjects.platform.messagesStatus, JSON.stringify({ accountId: ACCOUNT, messageId: `ingest-${String(i).padStart(8, '0')}`, status: 'DELIVERED', occurredAt })]);
  }

  const results: IngestResult[] = [];
  options.log(`  burst of ${events.length.toLocaleString('en-US')} events ...`);
  let started = Date.now();
  let published = await publishAll(stack, events);
  await until(async () => {
    const [{ n }] = await stack.dataSource.query(`SELECT count(*)::int AS n FROM messages WHERE account_id = $1 AND status = 'DELIVERED'`, [ACCOUNT]);
    return n === options.messages;
  });
  results.push({ name: 'new messages, then their reports', events: events.length, publishSeconds: (published - started) / 1000, ingestSeconds: (Date.now() - started) / 1000 });

  options.log('  the same burst again (replay) ...');
  started = Date.now();
  published = await publishAll(stack, events);
  await until(async () => {
    const info = await (await stack.nats.jetstreamManager()).consumers.info(stack.namespace.stream('platform').name, stack.namespace.consumer(Consumers.historyServiceMessages));
    return info.num_pending === 0 && info.num_ack_pending === 0;
  });
  results.push({ name: 'replay of the same events', events: events.length, publishSeconds: (published - started) / 1000, ingestSeconds: (Date.now() - started) / 1000 });
  return results;
}

/** Publishes with up to 512 acks outstanding; returns when the last is acked. */
async function publishAll(stack: BenchStack, events: Array<[string, string]>): Promise<number> {
  const js = stack.nats.jetstream();
  const window = new Set<Promise<unknown>>();
  for (const [subject, payload] of events) {
    while (window.size >= 512) await Promise.race(window);
    const sent: Promise<unknown> = js.publish(stack.namespace.subject(subject), payload).finally(() => window.delete(sent));
    window.add(sent);
  }
  await Promise.all(window);
  return Date.now();
}

async function until(check: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('ingestion did not finish in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
