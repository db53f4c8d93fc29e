import { Logger } from '@nestjs/common';
import { JsMsg } from 'nats';
import { anyAccount, Consumers, ExportRequestedEvent, ExportType, splitAccountSubject, Subjects } from '@exports/contracts';
import { checkPayload, JetStream, jsonOf, Metrics, PullLoop } from '@exports/platform';
import { ExportRunner } from './export-runner';

export interface ExportConsumerOptions {
  /** Durable consumer name prefix of the app, e.g. `export-worker`; one consumer per export type. */
  app: string;
  types: ExportType[];
  ackWaitSeconds: number;
  concurrency: number;
}

/** An export request whose registry row is still invisible is retried this many times, then dropped. */
const UNKNOWN_EXPORT_DELIVERIES = 5;

/**
 * Takes export requests from the EXPORTS stream, one durable pull consumer per
 * type shared by every instance of the app, and hands each to the runner.
 * Acks only after the run's outcome is written; a crash means redelivery.
 */
export class ExportConsumer {
  private readonly logger = new Logger(ExportConsumer.name);
  private loops: PullLoop[] = [];

  constructor(
    private readonly jetStream: JetStream,
    private readonly runner: ExportRunner,
    private readonly options: ExportConsumerOptions,
    private readonly metrics?: Metrics,
  ) {}

  async start(): Promise<void> {
    await this.jetStream.ensureStreams(['exports', 'exportEvents']);
    for (const type of this.options.types) {
      const durable = Consumers.exportRuns(this.options.app, type);
      await this.jetStream.ensureConsumer({
        stream: 'exports',
        durable,
        filterSubject: anyAccount(Subjects.exportRequested[type]),
        ackWaitSeconds: this.options.ackWaitSeconds,
        maxDeliver: -1,
        maxAckPending: 1000,
      });
      this.metrics?.onScrape(() => this.jetStream.reportBacklog(this.metrics!, 'exports', durable));
      const loop = new PullLoop(this.jetStream, {
        stream: 'exports',
        durable,
        batchSize: 1,
        concurrency: this.options.concurrency,
        handle: async ([message]) => this.handle(message),
      });
      loop.start();
      this.loops.push(loop);
    }
  }

  /**
   * Stops taking work; runs in progress may finish within `graceSeconds`, after which
   * they are handed back (nak) for another worker.
   */
  async stop(graceSeconds: number): Promise<void> {
    const handBack = setTimeout(() => this.runner.handBackAll(), graceSeconds * 1000);
    await Promise.all(this.loops.map((loop) => loop.stop()));
    clearTimeout(handBack);
    this.loops = [];
  }

  private async handle(message: JsMsg): Promise<void> {
    if (message.info.deliveryCount > 1) this.metrics?.redeliveries.inc({ consumer: message.info.consumer });
    let event: ExportRequestedEvent;
    try {
      event = checkPayload(ExportRequestedEvent, jsonOf(message), 'export request');
    } catch (error) {
      this.logger.error({ message: 'Invalid export request terminated', subject: message.subject, reason: (error as Error).message });
      message.term();
      return;
    }
    const { accountId } = splitAccountSubject(this.jetStream.namespace.unprefix(message.subject));
    if (event.accountId !== accountId) {
      this.logger.error({ message: 'Export request for another account than its subject terminated', code: 'ACCOUNT_MISMATCH', exportId: event.exportId, subject: message.subject });
      message.term();
      return;
    }
    const outcome = await this.runner.run(event, { working: () => message.working() });
    switch (outcome.kind) {
      case 'done':
        await message.ackAck().catch(() => message.ack());
        return;
      case 'retry':
        message.nak(outcome.delayMs);
        return;
      case 'unknown':
        if (message.info.deliveryCount >= UNKNOWN_EXPORT_DELIVERIES) {
          this.logger.warn({ message: 'Export request for an unknown export dropped', exportId: event.exportId, accountId: event.accountId });
          message.term();
        } else {
          message.nak(1000);
        }
    }
  }
}
