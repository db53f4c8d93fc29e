import { TestStack } from '@exports/testing';

/** Per-key rate limit and the cap on unfinished exports, as a client sees them. */
describe('limits (e2e)', () => {
  // No worker: exports stay PENDING, so the open-exports cap is reached on purpose. An hour-long
  // window keeps the test inside one window of the fixed-window limiter.
  const stack = new TestStack({ apps: ['api-gateway'], env: { RATE_LIMIT_REQUESTS: '6', RATE_LIMIT_WINDOW_SECONDS: '3600', EXPORT_MAX_OPEN_PER_ACCOUNT: '2' } });

  beforeAll(() => stack.start());
  afterAll(() => stack.stop(), 60_000);

  it('refuses a third unfinished export with 429 saying why, then rate-limits the key with the headers', async () => {
    const { apiKey } = await stack.createAccount('limited');
    const first = await stack.http('POST', '/exports/contacts', { apiKey, body: {} });
    expect(first.status).toBe(202);
    expect(first.headers.get('x-ratelimit-limit')).toBe('6');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('5');
    // Seconds until the window resets: within the hour-long window.
    const reset = Number(first.headers.get('x-ratelimit-reset'));
    expect(Number.isInteger(reset)).toBe(true);
    expect(reset).toBeGreaterThanOrEqual(1);
    expect(reset).toBeLessThanOrEqual(3600);
    expect((await stack.http('POST', '/exports/contacts', { apiKey, body: {} })).status).toBe(202);

    const third = await stack.http('POST', '/exports/contacts', { apiKey, body: {} });
    expect(third.status).toBe(429);
    expect(third.body).toMatchObject({ status: 429, error: 'Too Many Requests', code: 'TOO_MANY_OPEN_EXPORTS', retryAfter: 5 });
    expect(third.body.message).toContain('2 unfinished exports (limit 2)');
    // An error to a request with a valid key still carries the key's budget.
    expect(third.headers.get('x-ratelimit-remaining')).toBe('3');
    expect(Number(third.headers.get('x-ratelimit-reset'))).toBeLessThanOrEqual(reset);
    expect((await stack.query(`SELECT count(*)::int AS n FROM exports`))[0].n).toBe(2);

    for (let i = 0; i < 3; i++) expect((await stack.http('GET', '/exports', { apiKey })).status).toBe(200);
    const limited = await stack.http('GET', '/exports', { apiKey });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-limit')).toBe('6');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    // The budget is full again when the window resets: that is when a refused request may retry.
    expect(limited.headers.get('x-ratelimit-reset')).toBe(String(retryAfter));
    expect(limited.body).toMatchObject({ status: 429, error: 'Too Many Requests', code: 'RATE_LIMITED', retryAfter });
    expect(limited.body.message).toBe('Rate limit of 6 requests per 3600 s reached for this API key');

    // The budget is per key: another key of another account is not affected.
    const other = await stack.createAccount('other');
    expect((await stack.http('GET', '/exports', { apiKey: other.apiKey })).status).toBe(200);
  });

  // Last: it blocks this suite's one client address (127.0.0.1) for a minute.
  it('throttles requests without a valid key per TCP peer, ignoring X-Forwarded-For (TRUST_PROXY unset)', async () => {
    const { apiKey } = await stack.createAccount('behind the attacker');
    for (let i = 0; i < 30; i++) {
      const response = await stack.http('GET', '/exports', { apiKey: `exk_wrong${i}`, headers: { 'X-Forwarded-For': `192.0.2.${i}` } });
      expect(response.status).toBe(401);
    }
    const throttled = await stack.http('GET', '/exports', { apiKey: 'exk_wrong', headers: { 'X-Forwarded-For': '192.0.2.200' } });
    expect(throttled.status).toBe(429);
    expect(throttled.body).toMatchObject({ status: 429, error: 'Too Many Requests', code: 'RATE_LIMITED' });
    expect(throttled.headers.get('retry-after')).toBe(String(throttled.body.retryAfter));
    expect((await stack.http('GET', '/exports', { apiKey })).status).toBe(429);
  });
});
