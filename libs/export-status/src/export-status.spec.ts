import { ExportStatus } from '@exports/contracts';
import {
  canTransition,
  effectiveStatus,
  ExportEvent,
  InvalidTransitionError,
  isFileRetained,
  regenerateEvent,
  sourcesOf,
  transition,
} from './export-status';

const LEGAL: Array<[ExportStatus, ExportEvent, ExportStatus]> = [
  [ExportStatus.Pending, ExportEvent.Complete, ExportStatus.Completed],
  [ExportStatus.Pending, ExportEvent.Fail, ExportStatus.Failed],
  [ExportStatus.Completed, ExportEvent.LinkExpire, ExportStatus.Expired],
  [ExportStatus.Completed, ExportEvent.RegenerateRetained, ExportStatus.Completed],
  [ExportStatus.Expired, ExportEvent.RegenerateRetained, ExportStatus.Completed],
  [ExportStatus.Expired, ExportEvent.RegeneratePurged, ExportStatus.Pending],
  [ExportStatus.Failed, ExportEvent.Retry, ExportStatus.Pending],
  [ExportStatus.Pending, ExportEvent.Cancel, ExportStatus.Cancelled],
  [ExportStatus.Cancelled, ExportEvent.Restart, ExportStatus.Pending],
];

describe('transition', () => {
  it.each(LEGAL)('%s --%s--> %s', (from, event, to) => {
    expect(transition(from, event)).toBe(to);
    expect(canTransition(from, event)).toBe(true);
  });

  const illegal = Object.values(ExportStatus).flatMap((from) =>
    Object.values(ExportEvent)
      .filter((event) => !LEGAL.some(([f, e]) => f === from && e === event))
      .map((event): [ExportStatus, ExportEvent] => [from, event]),
  );

  it('knows every other pair as illegal', () => {
    expect(illegal).toHaveLength(Object.values(ExportStatus).length * Object.values(ExportEvent).length - LEGAL.length);
  });

  it.each(illegal)('refuses %s --%s-->', (from, event) => {
    expect(() => transition(from, event)).toThrow(InvalidTransitionError);
    expect(canTransition(from, event)).toBe(false);
  });

  it('names the state and the event in the error', () => {
    expect(() => transition(ExportStatus.Failed, ExportEvent.Complete)).toThrow('An export in FAILED cannot take "complete"');
  });
});

describe('sourcesOf', () => {
  it('lists the states an event may start from', () => {
    expect(sourcesOf(ExportEvent.Complete)).toEqual([ExportStatus.Pending]);
    expect(sourcesOf(ExportEvent.RegenerateRetained).sort()).toEqual([ExportStatus.Completed, ExportStatus.Expired].sort());
    expect(sourcesOf(ExportEvent.Retry)).toEqual([ExportStatus.Failed]);
    expect(sourcesOf(ExportEvent.Cancel)).toEqual([ExportStatus.Pending]);
    expect(sourcesOf(ExportEvent.Restart)).toEqual([ExportStatus.Cancelled]);
  });
});

describe('effectiveStatus', () => {
  const now = new Date('2026-06-01T12:00:00Z');
  const before = new Date('2026-06-01T11:59:59Z');
  const after = new Date('2026-06-01T12:00:01Z');

  it('reads COMPLETED with a passed link as EXPIRED', () => {
    expect(effectiveStatus({ status: ExportStatus.Completed, linkExpiresAt: before }, now)).toBe(ExportStatus.Expired);
    expect(effectiveStatus({ status: ExportStatus.Completed, linkExpiresAt: now }, now)).toBe(ExportStatus.Expired);
  });

  it('keeps COMPLETED while the link lives', () => {
    expect(effectiveStatus({ status: ExportStatus.Completed, linkExpiresAt: after }, now)).toBe(ExportStatus.Completed);
  });

  it('leaves other states alone', () => {
    for (const status of [ExportStatus.Pending, ExportStatus.Failed, ExportStatus.Expired, ExportStatus.Cancelled]) {
      expect(effectiveStatus({ status, linkExpiresAt: before }, now)).toBe(status);
    }
  });
});

describe('regenerateEvent', () => {
  const now = new Date('2026-06-01T12:00:00Z');
  const kept = new Date('2026-06-08T12:00:00Z');
  const purged = new Date('2026-05-31T12:00:00Z');

  it('retries FAILED', () => {
    expect(regenerateEvent({ status: ExportStatus.Failed }, now)).toBe(ExportEvent.Retry);
  });

  it('restarts CANCELLED, whatever an earlier run left', () => {
    expect(regenerateEvent({ status: ExportStatus.Cancelled }, now)).toBe(ExportEvent.Restart);
    expect(regenerateEvent({ status: ExportStatus.Cancelled, fileExpiresAt: kept }, now)).toBe(ExportEvent.Restart);
    expect(transition(ExportStatus.Cancelled, regenerateEvent({ status: ExportStatus.Cancelled }, now))).toBe(ExportStatus.Pending);
  });

  it('renews the link while the file is kept', () => {
    expect(regenerateEvent({ status: ExportStatus.Completed, fileExpiresAt: kept }, now)).toBe(ExportEvent.RegenerateRetained);
    expect(regenerateEvent({ status: ExportStatus.Expired, fileExpiresAt: kept }, now)).toBe(ExportEvent.RegenerateRetained);
    expect(isFileRetained({ status: ExportStatus.Expired, fileExpiresAt: kept }, now)).toBe(true);
  });

  it('re-runs once the file is purged', () => {
    expect(regenerateEvent({ status: ExportStatus.Expired, fileExpiresAt: purged }, now)).toBe(ExportEvent.RegeneratePurged);
    expect(regenerateEvent({ status: ExportStatus.Expired, fileExpiresAt: kept, filePurgedAt: purged }, now)).toBe(ExportEvent.RegeneratePurged);
  });

  it('gives PENDING a move the machine refuses', () => {
    expect(canTransition(ExportStatus.Pending, regenerateEvent({ status: ExportStatus.Pending }, now))).toBe(false);
  });
});

describe('cancel', () => {
  it('stops PENDING only: every other state refuses it', () => {
    expect(sourcesOf(ExportEvent.Cancel)).toEqual([ExportStatus.Pending]);
    for (const from of [ExportStatus.Completed, ExportStatus.Expired, ExportStatus.Failed, ExportStatus.Cancelled]) {
      expect(() => transition(from, ExportEvent.Cancel)).toThrow(`An export in ${from} cannot take "cancel"`);
    }
  });

  it('leaves CANCELLED to the regenerate alone: no completion, failure, expiry, retry or link', () => {
    const moves = Object.values(ExportEvent).filter((event) => canTransition(ExportStatus.Cancelled, event));
    expect(moves).toEqual([ExportEvent.Restart]);
    expect(sourcesOf(ExportEvent.Retry)).not.toContain(ExportStatus.Cancelled);
  });

  it('reads CANCELLED as it is stored, whatever the link times say', () => {
    const now = new Date('2026-06-01T12:00:00Z');
    expect(effectiveStatus({ status: ExportStatus.Cancelled, linkExpiresAt: new Date('2026-05-01T00:00:00Z') }, now)).toBe(ExportStatus.Cancelled);
  });
});
