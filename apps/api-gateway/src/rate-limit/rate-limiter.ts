import { RateLimiterAbstract, RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';

/** What a request is told about its key's budget. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the current window ends (at least 1): when a refused request may retry, and the budget is full again. */
  retryAfter: number;
}

/** The table of the shared counters (migration RateLimits1764835200000): UNLOGGED, a crash only resets the windows. */
export const RATE_LIMIT_TABLE = 'api_rate_limits';

/**
 * A fixed-window request budget per key. The counters live where `store` keeps them: in
 * PostgreSQL for the gateway ({@link sharedRateLimiter}), so every gateway instance spends one
 * budget; in memory for tests of the decisions.
 */
export class RateLimiter {
  constructor(
    readonly limit: number,
    private readonly store: RateLimiterAbstract,
  ) {}

  async take(key: string): Promise<RateDecision> {
    try {
      const spent = await this.store.consume(key);
      return { allowed: true, limit: this.limit, remaining: spent.remainingPoints, retryAfter: secondsOf(spent) };
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      return { allowed: false, limit: this.limit, remaining: 0, retryAfter: secondsOf(refusal) };
    }
  }
}

function secondsOf(result: RateLimiterRes): number {
  return Math.max(1, Math.ceil(result.msBeforeNext / 1000));
}

/**
 * The gateway's limiter: one budget per key across all gateway instances, counted in PostgreSQL
 * with one upsert per request. While the database cannot answer, each instance falls back to
 * counting in its own memory (the limit then holds per instance), and requests are not refused
 * for the limiter's sake.
 */
export function sharedRateLimiter(dataSource: DataSource, limit: number, windowSeconds: number): RateLimiter {
  const store = new RateLimiterPostgres({
    storeClient: dataSource,
    storeType: 'typeorm',
    tableName: RATE_LIMIT_TABLE,
    tableCreated: true,
    keyPrefix: 'key',
    points: limit,
    duration: windowSeconds,
    insuranceLimiter: new RateLimiterMemory({ points: limit, duration: windowSeconds }),
  });
  return new RateLimiter(limit, store);
}

export function memoryRateLimiter(limit: number, windowSeconds: number): RateLimiter {
  return new RateLimiter(limit, new RateLimiterMemory({ points: limit, duration: windowSeconds }));
}
