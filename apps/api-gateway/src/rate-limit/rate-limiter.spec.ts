import { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { memoryRateLimiter, RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('allows the limit per window, then refuses with the seconds left', async () => {
    const limiter = memoryRateLimiter(3, 60);
    expect((await Promise.all([1, 2, 3].map(() => limiter.take('k')))).map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
    ]);
    const refused = await limiter.take('k');
    expect(refused).toMatchObject({ allowed: false, limit: 3, remaining: 0 });
    expect(refused.retryAfter).toBeGreaterThanOrEqual(59);
    expect(refused.retryAfter).toBeLessThanOrEqual(60);
    expect((await limiter.take('other')).allowed).toBe(true);
  });

  it('starts over when the window ends', async () => {
    const limiter = memoryRateLimiter(1, 1);
    expect((await limiter.take('k')).allowed).toBe(true);
    expect((await limiter.take('k')).allowed).toBe(false);
    await new Promise((done) => setTimeout(done, 1100));
    expect(await limiter.take('k')).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('passes a store failure on instead of reading it as a refusal', async () => {
    const broken = { consume: () => Promise.reject(new Error('connection refused')) } as unknown as RateLimiterAbstract;
    await expect(new RateLimiter(5, broken).take('k')).rejects.toThrow('connection refused');
    const refusing = { consume: () => Promise.reject(new RateLimiterRes(0, 250, 6)) } as unknown as RateLimiterAbstract;
    expect(await new RateLimiter(5, refusing).take('k')).toEqual({ allowed: false, limit: 5, remaining: 0, retryAfter: 1 });
  });
});
