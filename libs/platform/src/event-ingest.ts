import { Logger } from '@nestjs/common';
import { ClassConstructor } from 'class-transformer';
import { JsMsg } from 'nats';
import { splitAccountSubject } from '@exports/contracts';
import { JetStream, jsonOf } from './jetstream';
import { Metrics } from './metrics';
import { PullLoop } from './pull-loop';
import { checkPayload } from './validation';

export interface IngestOptions<Change> {
  durable: string;
  /** Documented subject filter on the PLATFORM stream, e.g. `platform.contacts.>`. */
  filterSubject: string;
  /** Payload class per documented subject; each valid payload becomes one change. */
  routes: Record<string, (payload: unknown) => Change>;
  /** Writes a batch of changes at once; messages are acked only after it succeeds. */
  apply: (changes: Change[]) => Promise<void>;
  batchSize: number;
  /**
   * Batches handled at once (default 1). With 2, the next batch is pulled and validated while
   * the current one is written; only for an `apply` that is right in any order of batches.
   */
  concurrency?: number;
  ackWaitSeconds: number;
}

/** A route that validates the payload into `cls` and maps it to a change. */
export function route<T extends object, Change>(cls: ClassConstructor<T>, toChange: (payload: T) => Change) {
  return (payload: unknown) => toChange(checkPayload(cls, payload, 'event'));
}

/** An event is about the account its subject names: publish permissions are granted per account in the subject. */
function assertSameAccount(payload: unknown, subjectAccountId: string): void {
  const { accountId } = payload as { accountId?: unknown };
  if (accountId !== subjectAccountId) throw new Error(`accountId must be the account of the subject (${subjectAccountId || 'none'})`);
}

/**
 * Consumes platform events in batches: each is validated; an invalid one is logged
 * with its reason and terminated (never redelivered); the valid ones are applied
 * together, then acked. A failed write leaves them to be redelivered.
 */
export class EventIngest<Change> {
  private readonly logger = new Logger(EventIngest.name);
  private loop?: PullLoop;
  private ingested = 0;
  private rejected = 0;

  constructor(
    private readonly jetStream: JetStream,
    private readonly options: IngestOptions<Change>,
    private readonly metrics?: Metrics,
  ) {}

  get counts(): { ingested: number; rejected: number } {
    return { ingested: this.ingested, rejected: this.rejected };
  }

  async start(): Promise<void> {
    await this.jetStream.ensureStreams(['platform']);
    await this.jetStream.ensureConsumer({
      stream: 'platform',
      durable: this.options.durable,
      filterSubject: this.options.filterSubject,
      ackWaitSeconds: this.options.ackWaitSeconds,
      maxDeliver: 20,
      maxAckPending: this.options.batchSize * 4,
    });
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

  private async handle(messages: JsMsg[]): Promise<void> {
    const accepted: JsMsg[] = [];
    const changes: Change[] = [];
    const consumer = this.options.durable;
    for (const message of messages) {
      if (message.info.deliveryCount > 1) this.metrics?.redeliveries.inc({ consumer });
      const subject = this.jetStream.namespace.unprefix(message.subject);
      const scoped = splitAccountSubject(subject);
      const toChange = this.options.routes[scoped.subject];
      try {
        if (!toChange) throw new Error(`no handler for subject ${subject}`);
        const payload = jsonOf(message);
        if (payload === undefined) throw new Error('the event is not valid JSON');
        const change = toChange(payload);
        assertSameAccount(payload, scoped.accountId);
        changes.push(change);
        accepted.push(message);
      } catch (error) {
        this.rejected += 1;
        this.metrics?.ingestedEvents.inc({ consumer, outcome: 'rejected' });
        this.logger.warn({ message: 'Invalid event terminated', subject, seq: message.seq, reason: (error as Error).message });
        message.term();
      }
    }
    await this.options.apply(changes);
    this.ingested += changes.length;
    if (changes.length) {
      this.metrics?.ingestedEvents.inc({ consumer, outcome: 'accepted' }, changes.length);
      const newest = Math.max(...accepted.map((message) => message.info.timestampNanos / 1e6));
      this.metrics?.ingestLagSeconds.set({ consumer }, Math.max(0, (Date.now() - newest) / 1000));
    }
    // Plain acks (no round trip each): one lost in a crash means a redelivery, which the
    // idempotent apply turns into no change.
    for (const message of accepted) message.ack();
  }
}
