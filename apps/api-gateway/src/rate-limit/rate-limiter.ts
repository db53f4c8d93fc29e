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

/** A request waiting for its share of a key's budget. */
interface Waiter {
  resolve: (decision: RateDecision) => void;
  reject: (error: unknown) => void;
}

/**
 * A fixed-window request budget per key. The counters live where `store` keeps them: in
 * PostgreSQL for the gateway ({@link sharedRateLimiter}), so every gateway instance spends one
 * budget; in memory for tests of the decisions.
 *
 * One statement per key at a time: the requests of a key that arrive while its statement runs
 * are spent together by the next one (n points at once), and each is told its place in the
 * count, as if they had been spent one by one. A busy key then costs the store one statement
 * per round trip instead of one per request, all waiting on the same row lock.
 */
export class RateLimiter {
  private readonly waiting = new Map<string, Waiter[]>();
  private readonly spending = new Set<string>();

  constructor(
    readonly limit: number,
    private readonly store: RateLimiterAbstract,
  ) {}

  take(key: string): Promise<RateDecision> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.waiting.set(key, [{ resolve, reject }]);
      if (!this.spending.has(key)) this.spend(key);
    });
  }

  private spend(key: string): void {
    const waiters = this.waiting.get(key) ?? [];
    this.waiting.delete(key);
    this.spending.add(key);
    this.decide(key, waiters.length).then(
      (decisions) => waiters.forEach((waiter, i) => waiter.resolve(decisions[i])),
      (error: unknown) => waiters.forEach((waiter) => waiter.reject(error)),
    ).finally(() => {
      this.spending.delete(key);
      if (this.waiting.has(key)) this.spend(key);
    });
  }

  /** Spends `points` of the key's budget: the decision of each of the `points` requests, in order. */
  private async decide(key: string, points: number): Promise<RateDecision[]> {
    let spent: RateLimiterRes;
    let counted: number;
    try {
      spent = await this.store.consume(key, points);
      counted = spent.consumedPoints;
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      spent = refusal;
      // A refusal that counted nothing (a blocked key) refuses them all.
      counted = refusal.consumedPoints > this.limit ? refusal.consumedPoints : this.limit + points;
    }
    const retryAfter = secondsOf(spent);
    return Array.from({ length: points }, (_, i) => {
      // The count this request brought the window to.
      const count = counted - points + i + 1;
      return { allowed: count <= this.limit, limit: this.limit, remaining: Math.max(0, this.limit - count), retryAfter };
    });
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
