import { spawnSync } from 'node:child_process';
import { JetStreamClient, NatsConnection, StreamInfo } from 'nats';
import { accountSubject, StreamKey, Subjects } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { NatsRole } from '@exports/platform';
import { deadLettersOf, download, eventsByExport, insertContacts, insertMessages, natsServerBinary, outboxDrained, sleep, TestStack, waitUntil } from '@exports/testing';

/** Burst size; the suite's figures in docs/RELIABILITY.md are for the defaults. */
const EXPORTS = Number(process.env.CLUSTER_EXPORTS ?? 300);
const EVENTS = Number(process.env.CLUSTER_EVENTS ?? 50_000);
/** Accounts the exports are spread over, and accounts the events are published for. */
const EXPORT_ACCOUNTS = 10;
const EVENT_ACCOUNTS = 5;
/** Rows of each export account: every export of the burst has this many. */
const ROWS = 100;
/** Events in flight at once (each retried until acknowledged), and export requests. */
const IN_FLIGHT = 1000;
const CONCURRENT_REQUESTS = 8;
/** How far (a share of its total) one burst may run ahead of the other. */
const LEAD = 0.05;
const STREAMS: StreamKey[] = ['exports', 'exportEvents', 'platform', 'deadLetters'];

/** Why the suite cannot run here, or undefined: it needs nats-server 2.9 or later (JetStream clustering). */
function clusterUnavailable(): string | undefined {
  const binary = natsServerBinary();
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (run.error || run.status !== 0) return `no runnable nats-server (${binary}: ${run.error?.message ?? run.stderr.trim()}); set NATS_SERVER_BIN`;
  const [, major, minor] = /v(\d+)\.(\d+)/.exec(run.stdout) ?? [];
  if (!major || Number(major) < 2 || (Number(major) === 2 && Number(minor) < 9)) return `${binary} is ${run.stdout.trim()}, older than 2.9`;
  return undefined;
}

/** Wakes whoever waits for the next change. */
class Signal {
  private waiters: Array<() => void> = [];

  next(): Promise<void> {
    return new Promise((resolveNext) => this.waiters.push(resolveNext));
  }

  signal(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

const unavailable = clusterUnavailable();
if (unavailable) process.stderr.write(`nats-cluster: SKIPPED, ${unavailable}\n`);

/**
 * A 3-node JetStream cluster (every stream with 3 copies) under all three apps, two of them
 * export-workers: a burst of export requests over HTTP and of ingestion events through JetStream,
 * during which the node leading the PLATFORM stream is SIGKILLed and later started again. Every
 * export ends COMPLETED once, with a file whose checksum matches its download; every event is
 * stored once. The producer retries what fails while the node is lost, as a real one does, and
 * JetStream's message-id dedupe keeps a retried event once.
 */
(unavailable ? describe.skip : describe)('a NATS node lost mid-burst on a 3-node JetStream cluster (e2e)', () => {
  const stack = new TestStack({
    apps: ['api-gateway', 'export-worker', 'history-service'],
    natsCluster: 3,
    env: { EXPORT_MAX_OPEN_PER_ACCOUNT: '100', EXPORT_ACCOUNT_CONCURRENCY: '4', EXPORT_CONCURRENCY: '4', RATE_LIMIT_REQUESTS: '100000' },
  });
  const startedAt = Date.now();
  const exportAccounts: CreatedAccount[] = [];
  const eventAccounts: CreatedAccount[] = [];
  /** Export id → its account and type. */
  const accepted = new Map<string, { account: CreatedAccount; type: string }>();
  let producer: NatsConnection;
  /** Set when the suite ends: a burst still going (after a failure) stops. */
  let stopped = false;
  /** What a burst waiting for the other to catch up waits on. */
  const eventAcked = new Signal();
  const exportAccepted = new Signal();
  const figures = {
    exports: { requested: 0, accepted: 0, completed: 0, lost: 0, duplicated: 0, resentRequests: 0, pendingAtKill: 0, requestedWhileNodeDown: 0, completedWhileNodeDown: 0 },
    events: { sent: 0, acked: 0, stored: 0, lost: 0, duplicated: 0, publishRetries: 0, dedupedRetries: 0, deadLettered: 0 },
    node: { killed: '', newLeader: '', downSeconds: 0, caughtUpSeconds: 0 },
    /** Seconds from the start of the suite: stack up, node killed, restarted, bursts sent, all exports done, all events stored, node caught up, checks done. */
    at: { ready: 0, killed: 0, restarted: 0, sent: 0, exportsDone: 0, eventsStored: 0, caughtUp: 0, checked: 0 },
    seconds: 0,
  };
  const mark = (phase: keyof typeof figures.at) => (figures.at[phase] = Math.round((Date.now() - startedAt) / 100) / 10);

  const requests: Record<string, { path: string; body: object }> = {
    CONTACTS: { path: '/exports/contacts', body: {} },
    DELIVERY_REPORTS: { path: '/exports/delivery-reports', body: { campaignId: 'burst' } },
    MESSAGE_HISTORY: { path: '/messages/history/export', body: { startDateTime: '2026-01-09T00:00:00Z', endDateTime: '2026-01-12T00:00:00Z' } },
  };

  beforeAll(async () => {
    await stack.start();
    const second = stack.startApp('export-worker');
    for (let i = 0; i < EXPORT_ACCOUNTS; i++) {
      const account = await stack.createAccount(`cluster exports ${i}`);
      exportAccounts.push(account);
      await insertContacts(stack, account.accountId, ROWS);
      await insertMessages(stack, account.accountId, ROWS);
    }
    for (let i = 0; i < EVENT_ACCOUNTS; i++) eventAccounts.push(await stack.createAccount(`cluster events ${i}`));
    // A platform service's own identity, allowed to publish only those accounts' events (reloads every node).
    producer = await stack.natsCaller('platform-producer', NatsRole.Publisher, eventAccounts.map((account) => account.accountId));
    await second;
  }, 150_000);

  afterAll(async () => {
    stopped = true;
    eventAcked.signal();
    exportAccepted.signal();
    figures.seconds = Math.round((Date.now() - startedAt) / 1000);
    process.stdout.write(`nats-cluster: ${JSON.stringify(figures)}\n`);
    await stack.stop();
  }, 60_000);

  const streamInfo = async (key: StreamKey): Promise<StreamInfo> => (await (await stack.natsConnection()).jetstreamManager()).streams.info(stack.namespace.stream(key).name);
  /** A JetStream API call, asked again while the cluster elects a leader (it answers 503 or times out meanwhile). */
  const answered = async <T>(call: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= 30 || stopped) throw error;
        await sleep(500);
      }
    }
  };
  const countExports = async (where: string) => (await stack.query(`SELECT count(*)::int AS n FROM exports WHERE ${where}`))[0].n as number;
  const storedEvents = async () => {
    const ids = eventAccounts.map((account) => account.accountId);
    const [contacts] = await stack.query(`SELECT count(*)::int AS n FROM contacts WHERE account_id = ANY($1)`, [ids]);
    const [messages] = await stack.query(`SELECT count(*)::int AS n FROM messages WHERE account_id = ANY($1)`, [ids]);
    return { contacts: contacts.n as number, messages: messages.n as number };
  };

  /** The burst of ingestion events: contacts and messages, half each, spread over the event accounts, each with its message id. */
  function ingestionEvents(): Array<{ subject: string; data: string; msgID: string }> {
    const events: Array<{ subject: string; data: string; msgID: string }> = [];
    for (let n = 0; events.length < EVENTS; n++) {
      const account = eventAccounts[n % EVENT_ACCOUNTS].accountId;
      const contact = { id: `c-${n}`, phoneNumber: '+33612345678', firstName: `First ${n}`, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-02T00:00:00Z' };
      events.push({ subject: accountSubject(Subjects.platform.contactsUpserted, account), data: JSON.stringify({ accountId: account, contact }), msgID: `contact-${account}-${n}` });
      if (events.length === EVENTS) break;
      const message = { messageId: `m-${n}`, channel: 'SMS', direction: 'OUTBOUND', sender: 'ACME', destination: '+33612345678', body: `Body ${n}`, status: 'SENT', sendDate: '2026-01-10T00:00:00Z' };
      events.push({ subject: accountSubject(Subjects.platform.messagesRecorded, account), data: JSON.stringify({ accountId: account, message }), msgID: `message-${account}-${n}` });
    }
    return events;
  }

  /** Publishes until JetStream acknowledges: what fails while a node is lost is sent again with the same message id. */
  async function publishUntilAcked(js: JetStreamClient, event: { subject: string; data: string; msgID: string }, retried = false): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const ack = await js.publish(stack.namespace.subject(event.subject), event.data, { msgID: event.msgID, timeout: 3000 });
        if (ack.duplicate && retried) figures.events.dedupedRetries += 1;
        figures.events.acked += 1;
        eventAcked.signal();
        return;
      } catch (error) {
        if (attempt >= 60 || stopped) throw error;
        figures.events.publishRetries += 1;
        retried = true;
        await sleep(Math.min(100 * attempt, 1000));
      }
    }
  }

  /**
   * A client's export request: sent again, with the same Idempotency-Key, when the connection
   * fails before the answer (a kept-alive connection the gateway closes as it is reused); the
   * gateway answers a repeat that registered nothing new with 200 and the same export.
   */
  async function requestExport(account: CreatedAccount, type: string, idempotencyKey: string) {
    const { path, body } = requests[type];
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await stack.http('POST', path, { apiKey: account.apiKey, body, headers: { 'Idempotency-Key': idempotencyKey } });
        // 202: registered now; 200 only for a repeat whose first try was registered before its connection failed.
        expect(attempt > 1 ? [200, 202] : [202]).toContain(response.status);
        return response;
      } catch (error) {
        if (attempt >= 5 || stopped) throw error;
        figures.exports.resentRequests += 1;
      }
    }
  }

  it(`completes ${EXPORTS} exports and stores ${EVENTS} events once while the PLATFORM leader is SIGKILLed and started again`, async () => {
    mark('ready');
    // The node to lose: the leader of PLATFORM, asked before the bursts (leaders stay put while all nodes run).
    const leader = (await answered(() => streamInfo('platform'))).cluster?.leader ?? '';
    expect(leader).toMatch(/^n[1-3]$/);
    figures.node.killed = leader;
    let nodeDown = false;
    const events = ingestionEvents();
    const js = producer.jetstream();
    // The two bursts keep pace: neither gets more than LEAD of its total ahead of the other, so the
    // node is lost while both are under way, whichever is faster on the machine of the day.
    const eventShare = () => figures.events.acked / EVENTS;
    const exportShare = () => accepted.size / EXPORTS;
    let next = 0;
    const producing = Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < events.length && !stopped) {
          if (next / EVENTS > exportShare() + LEAD) await exportAccepted.next();
          else await publishUntilAcked(js, events[next++]);
        }
      }),
    ).then(() => {
      figures.events.sent = next;
    });
    const types = Object.keys(requests);
    let nextExport = 0;
    const requesting = Promise.all(
      Array.from({ length: CONCURRENT_REQUESTS }, async () => {
        while (nextExport < EXPORTS && !stopped) {
          if (nextExport / EXPORTS > eventShare() + LEAD) {
            await eventAcked.next();
            continue;
          }
          const i = nextExport++;
          const account = exportAccounts[i % EXPORT_ACCOUNTS];
          const type = types[Math.floor(i / EXPORT_ACCOUNTS) % types.length];
          figures.exports.requested += 1;
          if (nodeDown) figures.exports.requestedWhileNodeDown += 1;
          const response = await requestExport(account, type, `cluster-${stack.id}-${i}`);
          accepted.set(response.body.exportId, { account, type });
          exportAccepted.signal();
        }
      }),
    );
    // Failures of either burst end the test at once; the waits below also end when both bursts are over.
    let burstsOver = false;
    const bursts = Promise.all([producing, requesting]).finally(() => (burstsOver = true));
    bursts.catch(() => undefined);
    // Counted from the apps' logs, not by queries: the test process is busy with the bursts.
    const exportsCompleted = () => [...stack.logsOf('export-worker'), ...stack.logsOf('history-service')].filter((line) => line.includes('"message":"Export completed"')).length;

    // Mid-burst: a third of each burst accepted.
    await Promise.race([bursts, waitUntil('a third of each burst accepted', () => burstsOver || (eventShare() >= 1 / 3 && exportShare() >= 1 / 3), 120_000, 20)]);
    expect({ burstsOver, acked: figures.events.acked < EVENTS, accepted: accepted.size < EXPORTS }).toEqual({ burstsOver: false, acked: true, accepted: true });
    const completedBefore = exportsCompleted();
    figures.exports.pendingAtKill = accepted.size - completedBefore;
    const ackedBefore = figures.events.acked;
    const killedAt = Date.now();
    await stack.killNatsNode(leader);
    nodeDown = true;
    mark('killed');

    // The cluster goes on without it: a new leader takes a tenth of the events, exports are requested and completed.
    const goneOn = () => figures.events.acked - ackedBefore >= EVENTS / 10 && figures.exports.requestedWhileNodeDown > 0 && exportsCompleted() > completedBefore;
    await Promise.race([bursts, waitUntil('events acknowledged, exports requested and completed without the node', () => burstsOver || goneOn(), 120_000, 50)]);
    expect({ burstsOver, goneOn: goneOn() }).toEqual({ burstsOver: false, goneOn: true });
    figures.exports.completedWhileNodeDown = exportsCompleted() - completedBefore;
    figures.node.newLeader = (await answered(() => streamInfo('platform'))).cluster?.leader ?? '';
    expect(figures.node.newLeader).toMatch(/^n[1-3]$/);
    expect(figures.node.newLeader).not.toBe(leader);
    await stack.startNatsNode(leader);
    nodeDown = false;
    mark('restarted');
    const restartedAt = Date.now();
    figures.node.downSeconds = Math.round((restartedAt - killedAt) / 100) / 10;
    // The restarted node catches up while the bursts go on: each stream has its three copies, all current.
    const caughtUp = waitUntil('the restarted node current on every stream', async () => {
      const streams = await answered(async () => (await (await stack.natsConnection()).jetstreamManager()).streams.list().next());
      // While the cluster reassembles, the listing leaves out streams whose info did not arrive in time: wait for all of them.
      if (streams.length < STREAMS.length) return false;
      return streams.every(({ cluster }) => {
        const copies = [cluster?.leader, ...(cluster?.replicas ?? []).filter((replica) => replica.current && !replica.offline).map((replica) => replica.name)];
        return copies.includes(leader) && copies.length === 3;
      });
    }, 120_000, 200).then(() => {
      figures.node.caughtUpSeconds = Math.round((Date.now() - restartedAt) / 100) / 10;
      mark('caughtUp');
    });
    caughtUp.catch(() => undefined);

    await bursts;
    mark('sent');
    figures.exports.accepted = accepted.size;
    expect(accepted.size).toBe(EXPORTS);
    await waitUntil('every export finished', async () => (await countExports(`status = 'PENDING'`)) === 0, 120_000, 200);
    mark('exportsDone');
    await waitUntil('every event stored', async () => {
      const stored = await storedEvents();
      return stored.contacts + stored.messages >= EVENTS;
    }, 120_000, 200);
    mark('eventsStored');
    await caughtUp;

    // Exports: all COMPLETED, none left PENDING, each produced once.
    const statuses = await stack.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM exports GROUP BY status`);
    expect(statuses).toEqual([{ status: 'COMPLETED', n: EXPORTS }]);
    await outboxDrained(stack);
    const completedLines = [...stack.logsOf('export-worker'), ...stack.logsOf('history-service')].filter((line) => line.includes('"message":"Export completed"'));
    const eventsOf = await eventsByExport(stack);
    const keys = await stack.storage.listKeys('');
    let duplicated = 0;
    for (const exportId of accepted.keys()) {
      const completions = completedLines.filter((line) => line.includes(exportId)).length;
      const announced = (eventsOf.get(exportId) ?? []).map((event) => event.subject);
      const objects = keys.filter((key) => key.includes(exportId)).length;
      if (completions > 1 || announced.length > 1 || objects > 1) duplicated += 1;
      expect({ exportId, completions, announced, objects }).toEqual({ exportId, completions: 1, announced: ['exports.events.completed'], objects: 1 });
    }
    figures.exports.duplicated = duplicated;
    // One run message per export on the EXPORTS stream: the relay's re-publishes were deduplicated.
    expect((await streamInfo('exports')).state.messages).toBe(EXPORTS);

    // Each file's checksum, size and lines, downloaded through its link.
    const ids = [...accepted.keys()];
    for (let at = 0; at < ids.length; at += 10) {
      await Promise.all(
        ids.slice(at, at + 10).map(async (exportId) => {
          const { account, type } = accepted.get(exportId)!;
          const { status, body } = await stack.http('GET', `/exports/${exportId}`, { apiKey: account.apiKey });
          expect(status).toBe(200);
          expect(body).toMatchObject({ status: 'COMPLETED', type, rowCount: ROWS });
          expect(await download(body.downloadUrl)).toMatchObject({ status: 200, sha256: body.sha256, sizeBytes: body.sizeBytes, lines: ROWS + 1 });
          figures.exports.completed += 1;
        }),
      );
    }
    figures.exports.lost = EXPORTS - figures.exports.completed;

    // Events: the stream holds each once (retries deduplicated by message id), and so does PostgreSQL.
    const platformMessages = (await streamInfo('platform')).state.messages;
    const stored = await storedEvents();
    figures.events.stored = stored.contacts + stored.messages;
    figures.events.deadLettered = (await deadLettersOf(stack)).length;
    figures.events.duplicated = Math.max(0, platformMessages - EVENTS);
    figures.events.lost = EVENTS - figures.events.stored - figures.events.deadLettered;
    expect(stored).toEqual({ contacts: Math.ceil(EVENTS / 2), messages: Math.floor(EVENTS / 2) });
    expect(platformMessages).toBe(EVENTS);
    // Each row is its own event's: in the account the n-th event was published for, with its fields.
    const [matching] = await stack.query(
      `WITH accounts AS (SELECT id, ordinality - 1 AS slot FROM unnest($1::uuid[]) WITH ORDINALITY AS a(id))
       SELECT (SELECT count(*)::int FROM contacts c JOIN accounts a ON a.id = c.account_id
                WHERE substr(c.id, 3)::int % $2 = a.slot AND c.first_name = 'First ' || substr(c.id, 3))
            + (SELECT count(*)::int FROM messages m JOIN accounts a ON a.id = m.account_id
                WHERE substr(m.message_id, 3)::int % $2 = a.slot AND m.body = 'Body ' || substr(m.message_id, 3)) AS n`,
      [eventAccounts.map((account) => account.accountId), EVENT_ACCOUNTS],
    );
    expect(matching.n).toBe(EVENTS);
    mark('checked');
    expect(figures).toMatchObject({ exports: { accepted: EXPORTS, completed: EXPORTS, lost: 0, duplicated: 0 }, events: { acked: EVENTS, stored: EVENTS, lost: 0, duplicated: 0, deadLettered: 0 } });
  }, 300_000);
});
