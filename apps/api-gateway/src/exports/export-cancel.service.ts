import { Inject, Injectable, Logger } from '@nestjs/common';
import { ExportResourceDto, ExportRunCancelledEvent, ExportStatus } from '@exports/contracts';
import { ExportsRepository, toExportResource } from '@exports/database';
import { effectiveStatus } from '@exports/export-status';
import { OutboxRelay } from '@exports/outbox';
import { DomainError, ErrorCode } from '@exports/platform';
import { findExport } from './export-lookup';
import { ExportRunCancellations } from './export-run-cancellations';

/** What the cancel needs of each collaborator: the app injects the real ones, the unit spec fakes. */
export type CancelRegistry = Pick<ExportsRepository, 'findOne' | 'cancel'>;
export type EventPublisher = Pick<OutboxRelay, 'kick'>;
export type RunCanceller = Pick<ExportRunCancellations, 'announce'>;

/**
 * Cancels a PENDING export: CANCELLED and its `cancelled` event in one conditional statement (the
 * open-exports slot is free once it commits), then the run in progress, if any, is told to stop.
 * Any other state is a 409 naming it.
 */
@Injectable()
export class ExportCancelService {
  private readonly logger = new Logger(ExportCancelService.name);

  constructor(
    @Inject(ExportsRepository) private readonly exports: CancelRegistry,
    @Inject(OutboxRelay) private readonly relay: EventPublisher,
    @Inject(ExportRunCancellations) private readonly runs: RunCanceller,
  ) {}

  async cancel(accountId: string, exportId: string): Promise<ExportResourceDto> {
    const record = await findExport(this.exports, accountId, exportId);
    const status = effectiveStatus(record, new Date());
    if (status !== ExportStatus.Pending) throw notCancellable(status);
    const cancelled = await this.exports.cancel(accountId, exportId);
    if (!cancelled) {
      // Finished (or cancelled) between the read and the write: the state it reached says why.
      const now = await findExport(this.exports, accountId, exportId);
      throw notCancellable(effectiveStatus(now, new Date()));
    }
    const event: ExportRunCancelledEvent = { exportId, accountId, run: cancelled.run };
    this.runs.announce(event);
    this.relay.kick();
    this.logger.log({ message: 'Export cancelled', exportId, accountId, run: cancelled.run });
    return toExportResource(await findExport(this.exports, accountId, exportId), new Date());
  }
}

function notCancellable(status: ExportStatus): DomainError {
  return new DomainError(ErrorCode.ExportNotCancellable, `The export is ${status}: only a PENDING export can be cancelled`, undefined, { exportStatus: status });
}
