import { Injectable, Logger } from '@nestjs/common';
import { JSONCodec } from 'nats';
import { accountSubject, ExportRunCancelledEvent, Subjects } from '@exports/contracts';
import { JetStream } from '@exports/platform';

const codec = JSONCodec<ExportRunCancelledEvent>();

/**
 * Tells every worker instance, on `exports.run-cancelled.<accountId>` (core NATS), that a run was
 * cancelled, so the one running it stops at once. Said after the cancel is committed; at most once:
 * a worker that misses it sees the change at its next heartbeat, so a failure here is only logged.
 */
@Injectable()
export class ExportRunCancellations {
  private readonly logger = new Logger(ExportRunCancellations.name);

  constructor(private readonly jetStream: JetStream) {}

  announce(event: ExportRunCancelledEvent): void {
    try {
      this.jetStream.connection.publish(this.jetStream.namespace.subject(accountSubject(Subjects.exportRunCancelled, event.accountId)), codec.encode(event));
    } catch (error) {
      this.logger.warn({ message: 'Cancel not broadcast; the run stops at its next heartbeat', exportId: event.exportId, accountId: event.accountId, reason: (error as Error).message });
    }
  }
}
