import { AppConfig, DEFAULT_WEBHOOK_RETRY_SCHEDULE, parseDurations } from '@exports/platform';
import { longestRetryDelayMs, RETRY_JITTER, retryDelayMs } from './retry-schedule';

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
  it('outlasts WEBHOOK_DISABLE_AFTER_SECONDS even with every delay shrunk by the most jitter: a delivery that never succeeds disables its endpoint', () => {
    const scheduleMs = parseDurations(DEFAULT_WEBHOOK_RETRY_SCHEDULE);
    let shortestTotalMs = 0;
    for (let attempt = 1; attempt <= scheduleMs.length; attempt++) shortestTotalMs += retryDelayMs(scheduleMs, attempt, () => 0)!;
    expect(shortestTotalMs).toBeGreaterThan(new AppConfig().WEBHOOK_DISABLE_AFTER_SECONDS * 1000);
  });
});

describe('longestRetryDelayMs', () => {
  it('is the longest delay stretched by the most jitter', () => {
    expect(longestRetryDelayMs([5_000, 120_000, 30_000])).toBe(120_000 * (1 + RETRY_JITTER));
    expect(longestRetryDelayMs([])).toBe(0);
  });
});
