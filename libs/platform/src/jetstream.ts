import { Logger } from '@nestjs/common';
import {
  AckPolicy,
  connect,
  ConnectionOptions,
  ConsumerConfig,
  DeliverPolicy,
  headers as natsHeaders,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
  nanos,
  NatsConnection,
  RetentionPolicy,
  StorageType,
  StoredMsg,
  Subscription,
} from 'nats';
import { anyAccount, NatsNamespace, StreamKey } from '@exports/contracts';
import type { Metrics } from './metrics';

export interface DurableConsumerOptions {
  stream: StreamKey;
  /** Documented durable name; the namespace is applied here. */
  durable: string;
  /** Documented subject (or wildcard) this consumer takes from its stream. */
  filterSubject: string;
  ackWaitSeconds: number;
  /** -1: unbounded; the handler decides when to give up (attempts are counted in the database). */
  maxDeliver: number;
  maxAckPending?: number;
}

/**
 * Stream limits: work and events are kept a week, ingestion two weeks, dead letters until an
 * operator replays or removes them (0: no age limit); 2 minute dedupe window. Webhook delivery
 * jobs are kept a week too: longer than any retry schedule (WEBHOOK_RETRY_SCHEDULE, at most 6 days).
 */
const STREAM_MAX_AGE_SECONDS: Record<StreamKey, number> = { exports: 7 * 86400, exportEvents: 7 * 86400, platform: 14 * 86400, deadLetters: 0, webhookDeliveries: 7 * 86400 };
const DUPLICATE_WINDOW_SECONDS = 120;
/**
 * How long setup (streams, consumers) keeps asking when the JetStream API does not answer: a
 * cluster answers nothing while it elects the leader of a stream it has just made.
 */
const SETUP_PATIENCE_MS = 30_000;
const SETUP_RETRY_MS = 500;

/**
 * Our own small provider on the `nats` JetStream API: streams and durable pull
 * consumers with explicit ack, ack wait, max deliver and message-id dedupe.
 * Nest's NATS transport is core NATS (at most once) and is used only for request-reply.
 */
export class JetStream {
  private readonly logger = new Logger(JetStream.name);
  /** Streams this process has set up, or is setting up: the services that share one ask once. */
  private readonly streamsReady = new Map<StreamKey, Promise<void>>();

  private constructor(
    readonly connection: NatsConnection,
    readonly namespace: NatsNamespace,
    private readonly manager: JetStreamManager,
    readonly client: JetStreamClient,
    private readonly streamReplicas: number,
  ) {}

  /**
   * `options`: from {@link natsConnectionOptions} (servers, identity, TLS, inbox prefix);
   * `streamReplicas`: copies of each stream this connection creates (`NATS_STREAM_REPLICAS`).
   */
  static async connect(options: ConnectionOptions, namespace: NatsNamespace, streamReplicas = 1): Promise<JetStream> {
    const connection = await connect(options);
    const manager = await connection.jetstreamManager();
    return new JetStream(connection, namespace, manager, connection.jetstream(), streamReplicas);
  }

  /** Creates the streams if missing (several apps may race to do it; services of one app share the work). */
  async ensureStreams(keys: StreamKey[]): Promise<void> {
    for (const key of keys) {
      let ready = this.streamsReady.get(key);
      if (!ready) {
        ready = this.patiently(`stream ${key}`, () => this.ensureStream(key));
        this.streamsReady.set(key, ready);
        // A failed setup is asked again by the next caller.
        ready.catch(() => this.streamsReady.delete(key));
      }
      await ready;
    }
  }

  private async ensureStream(key: StreamKey): Promise<void> {
    const { name, subjects } = this.namespace.stream(key);
    const config = {
      name,
      subjects,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      max_age: nanos(STREAM_MAX_AGE_SECONDS[key] * 1000),
      duplicate_window: nanos(DUPLICATE_WINDOW_SECONDS * 1000),
      num_replicas: this.streamReplicas,
    };
    try {
      const { config: current } = await this.manager.streams.info(name);
      if (current.num_replicas !== this.streamReplicas) {
        // Scaled with the deployment: a stream made on one server gains copies when the cluster arrives.
        await this.manager.streams.update(name, { ...current, num_replicas: this.streamReplicas });
        this.logger.log({ message: 'Stream replicas changed', stream: name, from: current.num_replicas, to: this.streamReplicas });
      }
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        await this.manager.streams.add(config);
        this.logger.log({ message: 'Stream created', stream: name });
      } catch (addError) {
        if (!/already in use|exists/i.test(String(addError))) throw addError;
      }
    }
  }

  async ensureConsumer(options: DurableConsumerOptions): Promise<void> {
    await this.patiently(`consumer ${options.durable}`, () => this.ensureConsumerOnce(options));
  }

  /** Runs a setup step again while the JetStream API times out, for {@link SETUP_PATIENCE_MS} at most. */
  private async patiently(what: string, step: () => Promise<void>): Promise<void> {
    const deadline = Date.now() + SETUP_PATIENCE_MS;
    for (;;) {
      try {
        return await step();
      } catch (error) {
        if (!isTimeout(error) || Date.now() >= deadline) throw error;
        this.logger.warn({ message: 'JetStream API did not answer during setup; asking again', step: what });
        await new Promise((resolve) => setTimeout(resolve, SETUP_RETRY_MS));
      }
    }
  }

  private async ensureConsumerOnce(options: DurableConsumerOptions): Promise<void> {
    const stream = this.namespace.stream(options.stream).name;
    const durable = this.namespace.consumer(options.durable);
    const config: Partial<ConsumerConfig> = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(options.ackWaitSeconds * 1000),
      max_deliver: options.maxDeliver,
      max_ack_pending: options.maxAckPending ?? 1000,
      filter_subject: this.namespace.subject(options.filterSubject),
    };
    try {
      const info = await this.manager.consumers.info(stream, durable);
      if (info.config.ack_wait !== config.ack_wait || info.config.max_deliver !== config.max_deliver || info.config.max_ack_pending !== config.max_ack_pending) {
        await this.manager.consumers.update(stream, durable, {
          ack_wait: config.ack_wait,
          max_deliver: config.max_deliver,
          max_ack_pending: config.max_ack_pending,
        });
      }
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        await this.manager.consumers.add(stream, config);
      } catch (addError) {
        if (!/already in use|exists/i.test(String(addError))) throw addError;
      }
    }
  }

  /**
   * Hears the core NATS broadcast `subject` of every account: no queue group, so every instance gets
   * each message; `hear` takes the subject without the namespace and the raw data. Resolves once the
   * server knows the subscription, so nothing sent after that is missed.
   */
  async listen(subject: string, what: string, hear: (subject: string, data: Uint8Array) => void): Promise<Subscription> {
    const subscription = this.connection.subscribe(this.namespace.subject(anyAccount(subject)), {
      callback: (error, message) => {
        if (error) {
          this.logger.warn({ message: `${what} not received`, reason: error.message });
          return;
        }
        hear(this.namespace.unprefix(message.subject), message.data);
      },
    });
    await this.connection.flush();
    return subscription;
  }

  /** Publishes and waits for the stream's ack; `msgID` makes a repeat within the dedupe window a no-op. */
  async publish(subject: string, payload: unknown, msgID?: string): Promise<{ duplicate: boolean }> {
    const ack = await this.client.publish(this.namespace.subject(subject), JSON.stringify(payload), msgID ? { msgID } : undefined);
    return { duplicate: ack.duplicate };
  }

  /**
   * Publishes bytes as they are, with headers, and waits for the stream's ack; `msgID` makes a
   * repeat within the dedupe window a no-op. Resolves with the stream sequence it was stored at.
   */
  async publishBytes(subject: string, data: Uint8Array, options: { msgID?: string; headers?: Record<string, string> } = {}): Promise<{ seq: number; duplicate: boolean }> {
    const headers = natsHeaders();
    for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
    const ack = await this.client.publish(this.namespace.subject(subject), data, { msgID: options.msgID, headers });
    return { seq: ack.seq, duplicate: ack.duplicate };
  }

  /** First and last sequence of a stream, or undefined when it does not exist. */
  async streamBounds(stream: StreamKey): Promise<{ firstSeq: number; lastSeq: number; messages: number } | undefined> {
    try {
      const { state } = await this.manager.streams.info(this.namespace.stream(stream).name);
      return { firstSeq: state.first_seq, lastSeq: state.last_seq, messages: state.messages };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** One stored message by sequence, or undefined when there is none (deleted, or never written). */
  async storedMessage(stream: StreamKey, seq: number): Promise<StoredMsg | undefined> {
    try {
      return await this.manager.streams.getMessage(this.namespace.stream(stream).name, { seq });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async deleteStream(stream: StreamKey): Promise<void> {
    await this.manager.streams.delete(this.namespace.stream(stream).name);
  }

  async deleteMessage(stream: StreamKey, seq: number): Promise<boolean> {
    return this.manager.streams.deleteMessage(this.namespace.stream(stream).name, seq);
  }

  async consumer(stream: StreamKey, durable: string) {
    return this.client.consumers.get(this.namespace.stream(stream).name, this.namespace.consumer(durable));
  }

  /** Sets the backlog gauge of a durable consumer (called before a metrics scrape). */
  async reportBacklog(metrics: Metrics, stream: StreamKey, durable: string): Promise<void> {
    const info = await this.manager.consumers.info(this.namespace.stream(stream).name, this.namespace.consumer(durable));
    metrics.consumerPending.set({ consumer: durable }, info.num_pending + info.num_ack_pending);
  }

  async close(): Promise<void> {
    if (this.connection.isClosed()) return;
    await this.connection.drain().catch(() => this.connection.close());
  }
}

/** The JetStream API gave no answer in time (a cluster between leaders), as opposed to a refusal. */
function isTimeout(error: unknown): boolean {
  return (error as { code?: string })?.code === 'TIMEOUT' || /^TIMEOUT$|timed? ?out/i.test(String((error as { message?: string })?.message ?? ''));
}

function isNotFound(error: unknown): boolean {
  return /not found|no message found/i.test(String((error as { message?: string })?.message ?? error));
}

/** Parses a message as JSON, or undefined when it is not JSON. */
export function jsonOf(message: JsMsg): unknown {
  try {
    return JSON.parse(message.string());
  } catch {
    return undefined;
  }
}
