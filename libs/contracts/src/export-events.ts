import { IsEnum, IsInt, IsUUID, Min } from 'class-validator';
import { ExportType } from './enums';

/** Work on the EXPORTS stream: one message per run of an export; message id `<exportId>.<run>.<outboxId>`. */
export class ExportRequestedEvent {
  @IsUUID()
  exportId!: string;

  @IsUUID()
  accountId!: string;

  @IsEnum(ExportType)
  type!: ExportType;

  /** 1 for the first run; each re-run (regenerate after purge, retry after FAILED) adds one. */
  @IsInt()
  @Min(1)
  run!: number;
}

/**
 * The JetStream message id of one publication of a run: a repeat of the same outbox entry is
 * dropped as a duplicate, while a re-drive of a run whose message was lost (a new entry) is not.
 */
export function exportRunMessageId(event: Pick<ExportRequestedEvent, 'exportId' | 'run'>, outboxId: string): string {
  return `${event.exportId}.${event.run}.${outboxId}`;
}

/**
 * On `exports.run-cancelled.<accountId>` (core NATS, to every worker instance): the export was
 * cancelled in `run`; whichever worker holds that run stops it and removes what it wrote. Published
 * by the gateway once the cancel is committed; a worker that misses it sees the change at its next
 * heartbeat.
 */
export class ExportRunCancelledEvent {
  @IsUUID()
  exportId!: string;

  @IsUUID()
  accountId!: string;

  @IsInt()
  @Min(1)
  run!: number;
}
