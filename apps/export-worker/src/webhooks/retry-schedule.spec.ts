import { AppConfig, DEFAULT_WEBHOOK_RETRY_SCHEDULE, parseDurations } from '@exports/platform';
import { longestRetryDelayMs, nextRetryAt, RETRY_JITTER, retryDelayMs, retryWindowMs } from './retry-schedule';

describe('retryDelayMs', () => {
  const schedule = [5_000, 30_000, 120_000];

  it('takes the delay after attempt n from the n-th entry, within the jitter', () => {
    expect(retryDelayMs(schedule, 1, () => 0.5)).toBe(5_000);
    expect(retryDelayMs(schedule, 2, () => 0)).toBe(30_000 * (1 - RETRY_JITTER));
    expect(retryDelayMs(schedule, 3, () => 0.999999)).toBeCloseTo(120_000 * (1 + RETRY_JITTER), -1);
    for (let i = 0; i < 100; i++) {
      const delay = retryDelayMs(schedule, 2)!;
      expect(delay).toBeGreaterThanOrEqual(24_000);
      expect(delay).toBeLessThanOrEqual(36_000);
    }
  });

  it('ends once the schedule is spent: no delay after the last entry', () => {
    expect(retryDelayMs(schedule, 4)).toBeUndefined();
    expect(retryDelayMs([], 1)).toBeUndefined();
  });

  it('refuses attempt numbers that are not 1 or more', () => {
    expect(retryDelayMs(schedule, 0)).toBeUndefined();
    expect(retryDelayMs(schedule, 1.5)).toBeUndefined();
  });
});

describe('the default schedule', () => {
  it('adds up to WEBHOOK_DISABLE_AFTER_SECONDS: a delivery is retried for 24 h, and one failed for all of it disables its endpoint', () => {
    const scheduleMs = parseDurations(DEFAULT_WEBHOOK_RETRY_SCHEDULE);
    expect(retryWindowMs(scheduleMs)).toBe(new AppConfig().WEBHOOK_DISABLE_AFTER_SECONDS * 1000);
  });
});

describe('nextRetryAt', () => {
  const schedule = [10_000, 50_000, 240_000];
  const createdAt = new Date('2026-12-01T00:00:00Z');
  const at = (ms: number) => new Date(createdAt.getTime() + ms);

  it('is the jittered delay from now', () => {
    expect(nextRetryAt(schedule, 1, createdAt, at(1_000), () => 0.5)).toEqual(at(11_000));
    expect(nextRetryAt(schedule, 2, createdAt, at(12_000), () => 0)).toEqual(at(12_000 + 40_000));
  });

  it('never goes past the schedule total from the creation of the delivery, and ends once that window is spent', () => {
    // Late attempts (a backlog): the stretched delay would end after the window; the retry comes at its end.
    expect(nextRetryAt(schedule, 3, createdAt, at(200_000), () => 0.999)).toEqual(at(300_000));
    expect(nextRetryAt(schedule, 2, createdAt, at(300_000), () => 0.5)).toBeUndefined();
    expect(nextRetryAt(schedule, 4, createdAt, at(20_000), () => 0.5)).toBeUndefined();
  });
});

describe('longestRetryDelayMs', () => {
  it('is the longest delay stretched by the most jitter', () => {
    expect(longestRetryDelayMs([5_000, 120_000, 30_000])).toBe(120_000 * (1 + RETRY_JITTER));
    expect(longestRetryDelayMs([])).toBe(0);
  });
});
