import { Logger } from '@nestjs/common';
import { OutboxEntry, OutboxMessageOf } from './outbox-entry';
import { OutboxStore } from './outbox.repository';

const IDLE_MS = 500;
/** Entries claimed and published at a time. */
const BATCH = 100;

/** Where messages go: our JetStream provider, or a fake in unit specs. */
export interface OutboxBus {
  publish(subject: string, payload: unknown, messageId: string): Promise<unknown>;
}

/**
 * Publishes what the outbox owes the bus, each entry as `messageOf` makes it, under the message
 * id it names (so a re-publish after a crash is dropped by JetStream's dedupe window). While the
 * bus is down entries wait in PostgreSQL; nothing accepted is lost.
 */
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private failing = false;
  private kicked = false;

  constructor(
    private readonly outbox: OutboxStore,
    private readonly bus: OutboxBus,
    private readonly messageOf: OutboxMessageOf,
    private readonly idleMs = IDLE_MS,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Publish now rather than at the next tick (after a request wrote to the outbox). */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.kicked = false;
      const full = await this.drainOnce();
      // Again at once when the batch was full or a request wrote meanwhile; otherwise wait for
      // the next kick or tick (an empty poll per request would double the relay's queries).
      if (!full && !this.kicked && this.running) await this.idle();
    }
  }

  /** One batch; true when it was full (more are likely due). */
  private async drainOnce(): Promise<boolean> {
    try {
      const result = await this.outbox.drain((entry) => this.publish(entry), BATCH);
      if (result.error) this.reportFailure(result.error);
      else if (this.failing) {
        this.failing = false;
        this.logger.log({ message: 'Outbox publishing again' });
      }
      return result.sent === BATCH;
    } catch (error) {
      this.reportFailure(error);
      return false;
    }
  }

  private idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wake?.(), this.idleMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private async publish(entry: OutboxEntry): Promise<void> {
    const message = this.messageOf(entry);
    await this.bus.publish(message.subject, message.payload, message.messageId);
  }

  private reportFailure(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.logger.warn({ message: 'Outbox cannot publish yet; entries kept for retry', reason: (error as Error)?.message ?? String(error) });
  }
}
