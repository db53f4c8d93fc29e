import { Logger } from '@nestjs/common';
import { ClassConstructor } from 'class-transformer';
import { JsMsg } from 'nats';
import { splitAccountSubject } from '@exports/contracts';
import { DeadLetters } from './dead-letters';
import { isDataError, rejectionReason, RetryBackoff, retryDelayMs } from './ingest-failure';
import { JetStream, jsonOf } from './jetstream';
import { Metrics } from './metrics';
import { PullLoop } from './pull-loop';
import { payloadChecker } from './compiled-validation';

export interface IngestOptions<Change> {
  durable: string;
  /** Documented subject filter on the PLATFORM stream, e.g. `platform.contacts.>`. */
  filterSubject: string;
  /** Payload class per documented subject; each valid payload becomes one change. */
  routes: Record<string, (payload: unknown) => Change>;
  /**
   * Writes a batch of changes at once, all or nothing; messages are acked only after it
   * succeeds. A data error (SQLSTATE class 22/23) makes the batch be written again one change at a time.
   */
  apply: (changes: Change[]) => Promise<void>;
  batchSize: number;
  /**
   * Batches handled at once (default 1). With 2, the next batch is pulled and validated while
   * the current one is written; only for an `apply` that is right in any order of batches.
   */
  concurrency?: number;
  ackWaitSeconds: number;
  /** Delays before a batch that failed for a reason other than its data is delivered again. */
  retry: RetryBackoff;
}

/** A route that validates the payload as a `cls` (the DTO's rules, compiled once) and maps it to a change. */
export function route<T extends object, Change>(cls: ClassConstructor<T>, toChange: (payload: T) => Change) {
  const check = payloadChecker(cls, 'event');
  return (payload: unknown) => toChange(check(payload));
}

/** An event is about the account its subject names: publish permissions are granted per account in the subject. */
function assertSameAccount(payload: unknown, subjectAccountId: string): void {
  const { accountId } = payload as { accountId?: unknown };
  if (accountId !== subjectAccountId) throw new Error(`accountId must be the account of the subject (${subjectAccountId || 'none'})`);
}

/** Events parsed between two turns of the event loop. */
const PARSE_SLICE = 100;

interface Parsed<Change> {
  message: JsMsg;
  subject: string;
  change: Change;
}

/** A run of batches that failed for a reason other than their data, until one succeeds. */
interface FailureStreak {
  since: number;
  failedBatches: number;
  retriedEvents: number;
  maxDeliveries: number;
}

/**
 * Consumes platform events in batches, so that no event is ever dropped:
 * - an event that cannot be stored (it fails validation, or PostgreSQL refuses its row) is
 *   parked on the dead-letter stream with the reason, then terminated; the others of its
 *   batch are written one at a time around it;
 * - a batch that fails for any other reason (database, NATS) is handed back with an
 *   exponential delay, as many times as it takes (the consumer has no delivery limit), and
 *   the failure is reported once when it starts and once when it ends.
 */
export class EventIngest<Change> {
  private readonly logger = new Logger(EventIngest.name);
  private readonly deadLetters: DeadLetters;
  private loop?: PullLoop;
  private streak?: FailureStreak;

  constructor(
    private readonly jetStream: JetStream,
    private readonly options: IngestOptions<Change>,
    private readonly metrics?: Metrics,
  ) {
    this.deadLetters = new DeadLetters(jetStream);
  }

  async start(): Promise<void> {
    await this.jetStream.ensureStreams(['platform']);
    await this.deadLetters.ensureStream();
    await this.jetStream.ensureConsumer({
      stream: 'platform',
      durable: this.options.durable,
      filterSubject: this.options.filterSubject,
      ackWaitSeconds: this.options.ackWaitSeconds,
      // Unbounded: an event leaves only stored, or parked on the dead-letter stream.
      maxDeliver: -1,
      maxAckPending: this.options.batchSize * 4,
    });
    this.metrics?.ingestFailing.set({ consumer: this.options.durable }, 0);
    this.metrics?.onScrape(() => this.jetStream.reportBacklog(this.metrics!, 'platform', this.options.durable));
    this.loop = new PullLoop(this.jetStream, {
      stream: 'platform',
      durable: this.options.durable,
      batchSize: this.options.batchSize,
      concurrency: this.options.concurrency ?? 1,
      handle: (messages) => this.handle(messages),
    });
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
  }

  /** Settles every message of the batch: acked, parked and terminated, or handed back with a delay. */
  private async handle(messages: JsMsg[]): Promise<void> {
    const held = new Set(messages);
    // A batch may wait on a dead database for longer than the ack wait: it tells JetStream it
    // is still at work, so the same events are not delivered to another loop meanwhile.
    const heartbeat = setInterval(() => held.forEach((message) => message.working()), Math.max(500, (this.options.ackWaitSeconds * 1000) / 3));
    try {
      await this.ingest(messages, held);
      this.recovered();
    } catch (error) {
      this.retryLater([...held], error);
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async ingest(messages: JsMsg[], held: Set<JsMsg>): Promise<void> {
    const consumer = this.options.durable;
    const valid: Parsed<Change>[] = [];
    for (let i = 0; i < messages.length; i++) {
      // With two batches in flight, the other one is in PostgreSQL, holding the ingest lock: its
      // next statement goes out only when this loop lets the event loop run.
      if (i > 0 && i % PARSE_SLICE === 0) await new Promise(setImmediate);
      const message = messages[i];
      const subject = this.jetStream.namespace.unprefix(message.subject);
      try {
        valid.push({ message, subject, change: this.parse(subject, message) });
      } catch (error) {
        await this.reject(message, subject, rejectionReason(error), held);
      }
    }
    if (!valid.length) return;
    try {
      await this.options.apply(valid.map((parsed) => parsed.change));
      this.accept(valid, held);
    } catch (error) {
      if (!isDataError(error)) throw error;
      if (valid.length === 1) return this.reject(valid[0].message, valid[0].subject, rejectionReason(error), held);
      // One event PostgreSQL refuses must not hold back the rest: they are written one by one.
      for (const parsed of valid) {
        try {
          await this.options.apply([parsed.change]);
          this.accept([parsed], held);
        } catch (alone) {
          if (!isDataError(alone)) throw alone;
          await this.reject(parsed.message, parsed.subject, rejectionReason(alone), held);
        }
      }
    }
  }

  /**
   * The one place that maps a received subject (`<documented subject>.<accountId>`) to its route;
   * the payload must be about the subject's account.
   */
  private parse(subject: string, message: JsMsg): Change {
    const scoped = splitAccountSubject(subject);
    const toChange = this.options.routes[scoped.subject];
    if (!toChange) throw new Error(`no handler for subject ${subject}`);
    const payload = jsonOf(message);
    if (payload === undefined) throw new Error('the event is not valid JSON');
    const change = toChange(payload);
    assertSameAccount(payload, scoped.accountId);
    return change;
  }

  /**
   * Acks the stored events. Their delivery info (parsed from the reply subject, for the
   * redeliveries and the lag) is read here, in the same pass as the acks.
   */
  private accept(parsed: Parsed<Change>[], held: Set<JsMsg>): void {
    const consumer = this.options.durable;
    let newestNanos = 0;
    let redelivered = 0;
    // Plain acks (no round trip each): one lost in a crash means a redelivery, which the
    // idempotent apply turns into no change.
    for (const { message } of parsed) {
      const { deliveryCount, timestampNanos } = message.info;
      if (deliveryCount > 1) redelivered += 1;
      newestNanos = Math.max(newestNanos, timestampNanos);
      message.ack();
      held.delete(message);
    }
    this.metrics?.ingestedEvents.inc({ consumer, outcome: 'accepted' }, parsed.length);
    if (redelivered) this.metrics?.redeliveries.inc({ consumer }, redelivered);
    this.metrics?.ingestLagSeconds.set({ consumer }, Math.max(0, (Date.now() - newestNanos / 1e6) / 1000));
  }

  /**
   * Parks the event with its reason, and terminates it only once the dead-letter stream has
   * stored it; when that publish fails, the error goes up and the batch is retried.
   */
  private async reject(message: JsMsg, subject: string, reason: string, held: Set<JsMsg>): Promise<void> {
    const consumer = this.options.durable;
    await this.deadLetters.park(message, consumer, reason);
    message.term();
    held.delete(message);
    if (message.info.deliveryCount > 1) this.metrics?.redeliveries.inc({ consumer });
    this.metrics?.ingestedEvents.inc({ consumer, outcome: 'rejected' });
    this.logger.warn({ message: 'Invalid event terminated', subject, seq: message.seq, reason, deadLettered: true });
  }

  /** Hands the unsettled messages back, each with a delay that grows with its deliveries. */
  private retryLater(messages: JsMsg[], error: unknown): void {
    const consumer = this.options.durable;
    for (const message of messages) message.nak(retryDelayMs(message.info.deliveryCount, this.options.retry));
    const maxDeliveries = Math.max(0, ...messages.map((message) => message.info.deliveryCount));
    this.metrics?.redeliveries.inc({ consumer }, messages.filter((message) => message.info.deliveryCount > 1).length);
    this.metrics?.ingestRetries.inc({ consumer }, messages.length);
    this.metrics?.ingestFailing.set({ consumer }, 1);
    if (!this.streak) {
      this.streak = { since: Date.now(), failedBatches: 0, retriedEvents: 0, maxDeliveries: 0 };
      this.logger.warn({
        message: 'Ingestion failing; events are kept and retried with backoff',
        consumer,
        reason: (error as Error)?.message ?? String(error),
        firstDelayMs: retryDelayMs(maxDeliveries, this.options.retry),
      });
    }
    this.streak.failedBatches += 1;
    this.streak.retriedEvents += messages.length;
    this.streak.maxDeliveries = Math.max(this.streak.maxDeliveries, maxDeliveries);
  }

  private recovered(): void {
    if (!this.streak) return;
    const { since, failedBatches, retriedEvents, maxDeliveries } = this.streak;
    this.streak = undefined;
    this.metrics?.ingestFailing.set({ consumer: this.options.durable }, 0);
    this.logger.warn({
      message: 'Ingestion recovered',
      consumer: this.options.durable,
      failedSeconds: Math.round((Date.now() - since) / 100) / 10,
      failedBatches,
      retriedEvents,
      maxDeliveries,
    });
  }
}
