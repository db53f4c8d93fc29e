import { Logger } from '@nestjs/common';
import { JsMsg } from 'nats';
import { StreamKey } from '@exports/contracts';
import { JetStream } from './jetstream';

export interface PullLoopOptions {
  stream: StreamKey;
  durable: string;
  /** Messages handed to one call of the handler. */
  batchSize: number;
  /** Loops running side by side in this process. */
  concurrency: number;
  /** Handles a batch; it must ack, nak or term every message itself. */
  handle: (messages: JsMsg[]) => Promise<void>;
}

/**
 * Pulls from a durable consumer until stopped. Stopping lets in-flight batches
 * finish; a batch whose handler throws is nak'ed with a delay so nothing is lost.
 */
export class PullLoop {
  private readonly logger = new Logger(PullLoop.name);
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly jetStream: JetStream,
    private readonly options: PullLoopOptions,
  ) {}

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.options.concurrency }, () => this.loop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    let consumer: Awaited<ReturnType<JetStream['consumer']>> | undefined;
    while (this.running) {
      let batch: JsMsg[] = [];
      try {
        consumer ??= await this.jetStream.consumer(this.options.stream, this.options.durable);
        const messages = await consumer.fetch({ max_messages: this.options.batchSize, expires: 1000 });
        for await (const message of messages) batch.push(message);
        if (!batch.length || !this.running) {
          for (const message of batch) message.nak();
          continue;
        }
        await this.options.handle(batch);
      } catch (error) {
        consumer = undefined; // looked up again: the server may have restarted
        this.logger.error({ message: 'Pull loop error; messages will be redelivered', durable: this.options.durable, error: (error as Error).message });
        for (const message of batch) message.nak(2000);
        await delay(1000);
      } finally {
        batch = [];
      }
    }
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
