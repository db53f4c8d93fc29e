/** Each delay is stretched or shrunk by up to this fraction at random, so failed deliveries do not retry in step. */
export const RETRY_JITTER = 0.2;

/** The longest wait between two attempts of one delivery the schedule can give (its longest delay, stretched by the most jitter). */
export function longestRetryDelayMs(scheduleMs: readonly number[]): number {
  return Math.ceil(Math.max(0, ...scheduleMs) * (1 + RETRY_JITTER));
}

/**
 * How long to wait after failed attempt number `attempt` (1 for the first) before the next, from
 * the schedule (WEBHOOK_RETRY_SCHEDULE, in ms) with jitter; undefined once the schedule is spent
 * (the delivery is then FAILED). `random` is in [0, 1).
 */
export function retryDelayMs(scheduleMs: readonly number[], attempt: number, random: () => number = Math.random): number | undefined {
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > scheduleMs.length) return undefined;
  const base = scheduleMs[attempt - 1];
  return Math.max(0, Math.round(base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random())));
}

/** The window a delivery is retried in, from its creation: the schedule's delays added up. */
export function retryWindowMs(scheduleMs: readonly number[]): number {
  return scheduleMs.reduce((sum, ms) => sum + ms, 0);
}

/**
 * When to make the next attempt of a delivery created at `createdAt` after its failed attempt
 * number `attempt`: the jittered delay from now, but never past the schedule's total from its
 * creation (the window a delivery is retried in); undefined once the schedule or its window is
 * spent (the delivery is then FAILED).
 */
export function nextRetryAt(scheduleMs: readonly number[], attempt: number, createdAt: Date, now: Date, random: () => number = Math.random): Date | undefined {
  const delayMs = retryDelayMs(scheduleMs, attempt, random);
  const windowEndsMs = createdAt.getTime() + retryWindowMs(scheduleMs);
  if (delayMs === undefined || now.getTime() >= windowEndsMs) return undefined;
  return new Date(Math.min(now.getTime() + delayMs, windowEndsMs));
}
