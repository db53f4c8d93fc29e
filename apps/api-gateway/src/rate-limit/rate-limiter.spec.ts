import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('allows the limit per window, then refuses with the time left', () => {
    let now = 60_000;
    const limiter = new RateLimiter(3, 60_000, () => now);
    expect([1, 2, 3].map(() => limiter.take('k').allowed)).toEqual([true, true, true]);
    now += 15_000;
    const refused = limiter.take('k');
    expect(refused).toEqual({ allowed: false, limit: 3, remaining: 0, retryAfter: 45 });
    expect(limiter.take('other').allowed).toBe(true);
  });

  it('counts remaining requests and starts over in the next window', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 1000, () => now);
    expect(limiter.take('k').remaining).toBe(1);
    expect(limiter.take('k').remaining).toBe(0);
    expect(limiter.take('k').allowed).toBe(false);
    now = 1000;
    expect(limiter.take('k')).toMatchObject({ allowed: true, remaining: 1 });
  });
});
