import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
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

  describe('one statement per key at a time', () => {
    /** A memory store that counts its statements (consume calls) and their points. */
    function countingStore(limit: number) {
      const store = new RateLimiterMemory({ points: limit, duration: 60 });
      const calls: number[] = [];
      const consume = store.consume.bind(store);
      store.consume = (key: string | number, points = 1) => {
        calls.push(points);
        return consume(key, points);
      };
      return { store, calls };
    }

    it('spends the requests that wait for a key together, each told its place in the count', async () => {
      const { store, calls } = countingStore(4);
      const limiter = new RateLimiter(4, store);
      const decisions = await Promise.all(Array.from({ length: 6 }, () => limiter.take('k')));
      expect(calls).toEqual([1, 5]);
      expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
        [true, 3],
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
        [false, 0],
      ]);
    });

    it('keeps keys apart', async () => {
      const { store, calls } = countingStore(1);
      const limiter = new RateLimiter(1, store);
      const [a, b] = await Promise.all([limiter.take('a'), limiter.take('b')]);
      expect([a.allowed, b.allowed]).toEqual([true, true]);
      expect(calls).toEqual([1, 1]);
    });

    it('fails every request of a statement that fails, and goes on with the next ones', async () => {
      let fail = true;
      const memory = new RateLimiterMemory({ points: 10, duration: 60 });
      const flaky = { consume: (key: string, points: number) => (fail ? Promise.reject(new Error('connection refused')) : memory.consume(key, points)) } as unknown as RateLimiterAbstract;
      const limiter = new RateLimiter(10, flaky);
      const first = limiter.take('k');
      const queued = [limiter.take('k'), limiter.take('k')];
      fail = false;
      await expect(first).rejects.toThrow('connection refused');
      expect((await Promise.all(queued)).map((d) => d.remaining)).toEqual([9, 8]);
    });
  });
});

