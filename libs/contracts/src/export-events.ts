import { IsEnum, IsInt, IsUUID, Min } from 'class-validator';
import { ExportType } from './enums';

/** Work on the EXPORTS stream: one message per run of an export; message id `<exportId>.<run>`. */
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

export function exportRunMessageId(event: Pick<ExportRequestedEvent, 'exportId' | 'run'>): string {
  return `${event.exportId}.${event.run}`;
}
