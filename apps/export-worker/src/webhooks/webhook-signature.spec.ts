import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { signWebhook } from './webhook-signature';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const lowerCase = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

describe('signWebhook', () => {
  const body = JSON.stringify({ id: 'evt_0123456789abcdef01234567', type: 'export.completed', createdAt: '2026-01-01T12:00:00.000Z', data: { exportId: 'x' } });

  it('gives the Standard Webhooks headers, which the published verifier accepts', () => {
    const key = secret();
    const at = new Date();
    const headers = signWebhook([key], 'evt_0123456789abcdef01234567', at, body);
    expect(headers['Webhook-Id']).toBe('evt_0123456789abcdef01234567');
    expect(headers['Webhook-Timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
    expect(headers['Webhook-Signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(key).verify(body, lowerCase({ ...headers }))).toEqual(JSON.parse(body));
  });

  it('is refused by the verifier for another secret, another body, or an old timestamp', () => {
    const key = secret();
    const headers = lowerCase({ ...signWebhook([key], 'evt_1', new Date(), body) });
    expect(() => new Webhook(secret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(key).verify(body.replace('export.completed', 'export.failed'), headers)).toThrow();
    const stale = lowerCase({ ...signWebhook([key], 'evt_1', new Date(Date.now() - 10 * 60_000), body) });
    expect(() => new Webhook(key).verify(body, stale)).toThrow(/too old/i);
  });

  it('after a rotation, carries one signature per secret, space-separated: either secret verifies', () => {
    const [current, previous] = [secret(), secret()];
    const headers = signWebhook([current, previous], 'evt_2', new Date(), body);
    expect(headers['Webhook-Signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(current).verify(body, lowerCase({ ...headers }))).toBeTruthy();
    expect(new Webhook(previous).verify(body, lowerCase({ ...headers }))).toBeTruthy();
  });

  it('needs a secret', () => {
    expect(() => signWebhook([], 'evt_3', new Date(), body)).toThrow(/at least one secret/);
  });
});
