import { Logger } from '@nestjs/common';
import { accountSubject, ExportRequestedEvent, exportRunMessageId, Subjects } from '@exports/contracts';
import { OutboxEntry, OutboxRepository, toExportResource } from '@exports/database';
import { JetStream } from '@exports/platform';

const IDLE_MS = 500;
/** Entries claimed and published at a time. */
const BATCH = 100;

/**
 * Publishes what the outbox owes the bus: export runs on EXPORTS (message id
 * `<exportId>.<run>.<outboxId>`) and lifecycle events on EXPORT_EVENTS (message id per outbox
 * entry, so a re-publish after a crash is dropped by JetStream's dedupe window).
 * While NATS is down entries wait in PostgreSQL; nothing accepted is lost.
 */
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private failing = false;
  private kicked = false;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly jetStream: JetStream,
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
      let full = false;
      try {
        const result = await this.outbox.drain((entry) => this.publish(entry), BATCH);
        full = result.sent === BATCH;
        if (result.error) this.reportFailure(result.error);
        else if (this.failing) {
          this.failing = false;
          this.logger.log({ message: 'Outbox publishing again' });
        }
      } catch (error) {
        this.reportFailure(error);
      }
      // Again at once when the batch was full or a request wrote meanwhile; otherwise wait for
      // the next kick or tick (an empty poll per request would double the relay's queries).
      if (!full && !this.kicked && this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, IDLE_MS);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  private async publish(entry: OutboxEntry): Promise<void> {
    const record = entry.export;
    if (entry.kind === 'run') {
      const event: ExportRequestedEvent = { exportId: record.id, accountId: record.accountId, type: record.type, run: entry.run };
      await this.jetStream.publish(accountSubject(Subjects.exportRequested[record.type], record.accountId), event, exportRunMessageId(event, entry.id));
      return;
    }
    // The resource as of the change (a completed event published late must not read EXPIRED).
    await this.jetStream.publish(accountSubject(Subjects.exportEvents[entry.kind], record.accountId), toExportResource(record, record.updatedAt), `event-${entry.id}`);
  }

  private reportFailure(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.logger.warn({ message: 'Outbox cannot publish yet; entries kept for retry', reason: (error as Error)?.message ?? String(error) });
  }
}
