import { Logger } from '@nestjs/common';
import { JSONCodec, Subscription } from 'nats';
import { ExportRunCancelledEvent, splitAccountSubject, Subjects } from '@exports/contracts';
import { checkPayload, JetStream } from '@exports/platform';
import { ExportRunner } from './export-runner';

const codec = JSONCodec<unknown>();

/**
 * Every worker instance listens on `exports.run-cancelled.*` (core NATS, no queue group: each one
 * hears every cancel) and stops the attempt it runs of the cancelled run, if any. A cancel missed
 * here (the bus was down) is still seen by the attempt's next heartbeat.
 */
export class RunCancellations {
  private readonly logger = new Logger(RunCancellations.name);
  private subscription?: Subscription;

  constructor(
    private readonly jetStream: JetStream,
    private readonly runner: ExportRunner,
  ) {}

  async start(): Promise<void> {
    // Listening before the first run is taken.
    this.subscription = await this.jetStream.listen(Subjects.exportRunCancelled, 'Run cancellations', (subject, data) => this.cancelled(subject, data));
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  private cancelled(subject: string, data: Uint8Array): void {
    let event: ExportRunCancelledEvent;
    try {
      event = checkPayload(ExportRunCancelledEvent, codec.decode(data), 'run cancellation');
    } catch (error) {
      this.logger.warn({ message: 'Unreadable run cancellation ignored', subject, reason: (error as Error).message });
      return;
    }
    if (splitAccountSubject(subject).accountId !== event.accountId) {
      this.logger.warn({ message: 'Run cancellation for another account than its subject ignored', code: 'ACCOUNT_MISMATCH', exportId: event.exportId, subject });
      return;
    }
    if (this.runner.cancel(event.exportId, event.run)) {
      this.logger.log({ message: 'Cancelled run being stopped', exportId: event.exportId, accountId: event.accountId, run: event.run });
    }
  }
}
