import { Logger } from '@nestjs/common';
import {
  AckPolicy,
  connect,
  ConnectionOptions,
  ConsumerConfig,
  DeliverPolicy,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
  nanos,
  NatsConnection,
  RetentionPolicy,
  StorageType,
} from 'nats';
import { NatsNamespace, StreamKey } from '@exports/contracts';
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

/** Stream limits: work and events are kept a week, ingestion two weeks; 2 minute dedupe window. */
const STREAM_MAX_AGE_SECONDS: Record<StreamKey, number> = { exports: 7 * 86400, exportEvents: 7 * 86400, platform: 14 * 86400 };
const DUPLICATE_WINDOW_SECONDS = 120;

/**
 * Our own small provider on the `nats` JetStream API: streams and durable pull
 * consumers with explicit ack, ack wait, max deliver and message-id dedupe.
 * Nest's NATS transport is core NATS (at most once) and is used only for request-reply.
 */
export class JetStream {
  private readonly logger = new Logger(JetStream.name);

  private constructor(
    readonly connection: NatsConnection,
    readonly namespace: NatsNamespace,
    private readonly manager: JetStreamManager,
    readonly client: JetStreamClient,
  ) {}

  /** `options`: from {@link natsConnectionOptions} (servers, identity, TLS, inbox prefix). */
  static async connect(options: ConnectionOptions, namespace: NatsNamespace): Promise<JetStream> {
    const connection = await connect(options);
    const manager = await connection.jetstreamManager();
    return new JetStream(connection, namespace, manager, connection.jetstream());
  }

  /** Creates the streams if missing (several apps may race to do it). */
  async ensureStreams(keys: StreamKey[]): Promise<void> {
    for (const key of keys) {
      const { name, subjects } = this.namespace.stream(key);
      const config = {
        name,
        subjects,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        max_age: nanos(STREAM_MAX_AGE_SECONDS[key] * 1000),
        duplicate_window: nanos(DUPLICATE_WINDOW_SECONDS * 1000),
      };
      try {
        await this.manager.streams.info(name);
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
  }

  async ensureConsumer(options: DurableConsumerOptions): Promise<void> {
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

  /** Publishes and waits for the stream's ack; `msgID` makes a repeat within the dedupe window a no-op. */
  async publish(subject: string, payload: unknown, msgID?: string): Promise<{ duplicate: boolean }> {
    const ack = await this.client.publish(this.namespace.subject(subject), JSON.stringify(payload), msgID ? { msgID } : undefined);
    return { duplicate: ack.duplicate };
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

function isNotFound(error: unknown): boolean {
  return /not found/i.test(String((error as { message?: string })?.message ?? error));
}

/** Parses a message as JSON, or undefined when it is not JSON. */
export function jsonOf(message: JsMsg): unknown {
  try {
    return JSON.parse(message.string());
  } catch {
    return undefined;
  }
}
