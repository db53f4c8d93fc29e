import { ExportStatus } from '@exports/contracts';

/** What can happen to an export. */
export enum ExportEvent {
  Complete = 'complete',
  Fail = 'fail',
  LinkExpire = 'link-expire',
  RegenerateRetained = 'regenerate-retained',
  RegeneratePurged = 'regenerate-purged',
  Retry = 'retry',
  /** The account stops an export before it completes. */
  Cancel = 'cancel',
  /** A regenerate of a CANCELLED export: it runs again, in a new run. */
  Restart = 'restart',
}

const MOVES: Readonly<Record<ExportStatus, Partial<Record<ExportEvent, ExportStatus>>>> = {
  [ExportStatus.Pending]: {
    [ExportEvent.Complete]: ExportStatus.Completed,
    [ExportEvent.Fail]: ExportStatus.Failed,
    [ExportEvent.Cancel]: ExportStatus.Cancelled,
  },
  [ExportStatus.Completed]: {
    [ExportEvent.LinkExpire]: ExportStatus.Expired,
    [ExportEvent.RegenerateRetained]: ExportStatus.Completed,
  },
  [ExportStatus.Expired]: {
    [ExportEvent.RegenerateRetained]: ExportStatus.Completed,
    [ExportEvent.RegeneratePurged]: ExportStatus.Pending,
  },
  [ExportStatus.Failed]: {
    [ExportEvent.Retry]: ExportStatus.Pending,
  },
  // Terminal: nothing but the account's regenerate moves it (no sweep, no retry, no link).
  [ExportStatus.Cancelled]: {
    [ExportEvent.Restart]: ExportStatus.Pending,
  },
};

export class InvalidTransitionError extends Error {
  constructor(
    readonly from: ExportStatus,
    readonly event: ExportEvent,
  ) {
    super(`An export in ${from} cannot take "${event}"`);
    this.name = 'InvalidTransitionError';
  }
}

export function transition(from: ExportStatus, event: ExportEvent): ExportStatus {
  const to = MOVES[from]?.[event];
  if (!to) throw new InvalidTransitionError(from, event);
  return to;
}

export function canTransition(from: ExportStatus, event: ExportEvent): boolean {
  return MOVES[from]?.[event] !== undefined;
}

/** The stored states from which `event` is legal: the `WHERE status IN (...)` of a conditional update. */
export function sourcesOf(event: ExportEvent): ExportStatus[] {
  return (Object.keys(MOVES) as ExportStatus[]).filter((from) => canTransition(from, event));
}

export interface ExportTimes {
  status: ExportStatus;
  linkExpiresAt?: Date | null;
  fileExpiresAt?: Date | null;
  /** Set once retention has removed the file. */
  filePurgedAt?: Date | null;
}

/**
 * EXPIRED is a fact of time: a COMPLETED export whose link has passed reads as
 * EXPIRED at once, whether or not anything has written it yet.
 */
export function effectiveStatus(record: ExportTimes, now: Date): ExportStatus {
  if (record.status === ExportStatus.Completed && record.linkExpiresAt && record.linkExpiresAt.getTime() <= now.getTime()) {
    return ExportStatus.Expired;
  }
  return record.status;
}

/** Whether the file behind the export is still kept in storage. */
export function isFileRetained(record: ExportTimes, now: Date): boolean {
  return !record.filePurgedAt && !!record.fileExpiresAt && record.fileExpiresAt.getTime() > now.getTime();
}

/**
 * The move `POST /exports/{id}` asks for, given the export as it reads now:
 * FAILED is retried; CANCELLED is restarted; COMPLETED or EXPIRED gets a new link while the file is kept,
 * or is run again once the file is purged. `transition()` refuses the illegal ones
 * (PENDING, or COMPLETED without a file, which link clamping rules out).
 */
export function regenerateEvent(record: ExportTimes, now: Date): ExportEvent {
  if (record.status === ExportStatus.Failed) return ExportEvent.Retry;
  if (record.status === ExportStatus.Cancelled) return ExportEvent.Restart;
  if (record.status === ExportStatus.Pending) return ExportEvent.RegenerateRetained;
  return isFileRetained(record, now) ? ExportEvent.RegenerateRetained : ExportEvent.RegeneratePurged;
}
