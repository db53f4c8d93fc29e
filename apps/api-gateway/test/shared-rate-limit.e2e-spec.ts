import { hashApiKey } from '@exports/database';
import { reservedRangePort, TestStack } from '@exports/testing';

/** Two gateways behind one API key: the key's budget holds in total, not once per instance. */
describe('shared rate limit (e2e)', () => {
  const LIMIT = 10;
  const stack = new TestStack({ apps: ['api-gateway'], env: { RATE_LIMIT_REQUESTS: String(LIMIT), RATE_LIMIT_WINDOW_SECONDS: '3600' } });
  let second: string;

  beforeAll(async () => {
    await stack.start();
    const port = await reservedRangePort();
    await stack.startApp('api-gateway', { PORT: String(port) });
    second = `http://127.0.0.1:${port}`;
  }, 120_000);

  afterAll(() => stack.stop(), 60_000);

  it('lets a key through LIMIT times across both gateways, then refuses it on both', async () => {
    const { apiKey } = await stack.createAccount('two gateways');
    const answers: Array<{ gateway: string; status: number; remaining: string | null }> = [];
    for (let i = 0; i < LIMIT + 4; i++) {
      const gateway = i % 2 === 0 ? stack.baseUrl : second;
      const response = await stack.http('GET', '/exports', { apiKey, baseUrl: gateway });
      answers.push({ gateway, status: response.status, remaining: response.headers.get('x-ratelimit-remaining') });
    }
    expect(answers.filter((a) => a.status === 200)).toHaveLength(LIMIT);
    expect(answers.slice(0, LIMIT).map((a) => a.status)).toEqual(Array(LIMIT).fill(200));
    // One countdown, whichever gateway answered.
    expect(answers.slice(0, LIMIT).map((a) => Number(a.remaining))).toEqual(Array.from({ length: LIMIT }, (_, i) => LIMIT - 1 - i));
    const refused = answers.slice(LIMIT);
    expect(refused.map((a) => a.status)).toEqual([429, 429, 429, 429]);
    expect(new Set(refused.map((a) => a.gateway)).size).toBe(2);

    // The counter is kept under the key's hash, never the key.
    const rows = await stack.query<{ key: string; points: number }>(`SELECT key, points FROM api_rate_limits`);
    expect(rows.map((row) => row.key)).toContain(`key:${hashApiKey(apiKey)}`);
    expect(JSON.stringify(rows)).not.toContain(apiKey);

    // Another key has its own budget on both gateways.
    const other = await stack.createAccount('other');
    for (const gateway of [stack.baseUrl, second]) {
      expect((await stack.http('GET', '/exports', { apiKey: other.apiKey, baseUrl: gateway })).status).toBe(200);
    }
  });
});
