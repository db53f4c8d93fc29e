import { accountSubject, Consumers, Subjects } from '@exports/contracts';
import { BenchStack, cpuPerUnit, cpuSnapshot, CpuSnapshot } from './bench-stack';

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
  /** CPU time per event during the drain, in µs; `machineBusy` in % of all cores. */
  cpu: EventCpu;
}

/** Where the CPU went during a drain, per event. */
export interface EventCpu {
  historyService: number;
  postgres: number;
  natsServer: number;
  machineBusy: number;
}

/**
 * A backlog on the PLATFORM stream, drained by history-service: N messages, then a DELIVERED
 * report for each, published while history-service is stopped; then history-service is
 * started, and the drain is timed from its first pull (the consumer's pending count starts
 * falling) to its last ack (nothing pending or unacked; events are acked after their batch
 * is written), and checked in PostgreSQL. Then the same events again (a replay, which
 * writes nothing). Publishing is timed on its own: it does not share the cores with the drain.
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
      accountSubject(Subjects.platform.messagesRecorded, ACCOUNT),
      JSON.stringify({
        accountId: ACCOUNT,
        message: { messageId, channel: 'SMS', direction: 'OUTBOUND', sender: 'ACME', destination: '+33611111111', body: `Burst message ${i}, "quoted"`, status: 'SENT', sendDate, cost: 0.045, parts: 1 },
      }),
    ]);
  }
  for (let i = 0; i < options.messages; i++) {
    const occurredAt = new Date(sendMs + i * 1000 + 15_000).toISOString();
    events.push([accountSubject(Subjects.platform.messagesStatus, ACCOUNT), JSON.stringify({ accountId: ACCOUNT, messageId: `ingest-${String(i).padStart(8, '0')}`, status: 'DELIVERED', occurredAt })]);
  }

  const results: IngestResult[] = [];
  for (const name of ['new messages, then their reports', 'replay of the same events']) {
    options.log(`  ${name}: ${events.length.toLocaleString('en-US')} events ...`);
    await stack.stopHistoryService();
    // Runs delete and rewrite the same rows: without their dead tuples vacuumed (the server may run
    // without autovacuum), each run would read more of them than the last.
    await stack.dataSource.query('VACUUM (ANALYZE) messages, delivery_reports');
    const publishStarted = Date.now();
    await stack.publish(events);
    const publishSeconds = (Date.now() - publishStarted) / 1000;
    const drain = drainTimer(stack, events.length);
    await stack.startHistoryService();
    const { seconds: ingestSeconds, cpu } = await drain;
    const [{ delivered }] = await stack.dataSource.query(`SELECT count(*)::int AS delivered FROM messages WHERE account_id = $1 AND status = 'DELIVERED'`, [ACCOUNT]);
    if (delivered !== options.messages) throw new Error(`after the drain, ${delivered} of ${options.messages} messages are DELIVERED`);
    options.log(`    published in ${publishSeconds.toFixed(1)} s, drained in ${ingestSeconds.toFixed(1)} s: ${Math.round(events.length / ingestSeconds).toLocaleString('en-US')} events/s`);
    options.log(
      `    CPU per event: history-service ${cpu.historyService.toFixed(1)} µs, PostgreSQL ${cpu.postgres.toFixed(1)} µs, NATS server ${cpu.natsServer.toFixed(1)} µs; machine ${cpu.machineBusy.toFixed(0)}% busy`,
    );
    results.push({ name, events: events.length, publishSeconds, ingestSeconds, cpu });
  }
  return results;
}

/**
 * Seconds from the consumer's first pull of a backlog of `backlog` events to its last ack,
 * polled every 20 ms (so within about 40 ms), and the CPU each process used meanwhile.
 */
async function drainTimer(stack: BenchStack, backlog: number): Promise<{ seconds: number; cpu: EventCpu }> {
  const manager = await stack.nats.jetstreamManager();
  const consumer = () => manager.consumers.info(stack.namespace.stream('platform').name, stack.namespace.consumer(Consumers.historyServiceMessages));
  const cpuNow = () => cpuSnapshot({ historyService: stack.historyServicePid! });
  let started: { at: number; cpu: CpuSnapshot<'historyService'> } | undefined;
  const deadline = Date.now() + 600_000;
  for (;;) {
    const info = await consumer();
    const now = Date.now();
    if (started === undefined && info.num_pending < backlog) started = { at: now, cpu: await cpuNow() };
    if (started !== undefined && info.num_pending === 0 && info.num_ack_pending === 0) {
      return { seconds: (now - started.at) / 1000, cpu: cpuPerUnit(started.cpu, await cpuNow(), backlog, 1e6) };
    }
    if (now > deadline) throw new Error(`ingestion did not finish in time (${info.num_pending} pending, ${info.num_ack_pending} unacked)`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
