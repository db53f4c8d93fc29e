import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box';

describe('SecretBox', () => {
  const key = randomBytes(32).toString('base64');
  const box = new SecretBox(key);

  it('opens what it sealed, and seals the same secret differently each time', () => {
    const first = box.seal('whsec_c2VjcmV0');
    const second = box.seal('whsec_c2VjcmV0');
    expect(first).not.toEqual(second);
    expect(first).not.toContain('c2VjcmV0');
    expect(box.open(first)).toBe('whsec_c2VjcmV0');
    expect(box.open(second)).toBe('whsec_c2VjcmV0');
  });

  it('refuses a value sealed under another key, or altered', () => {
    const sealed = box.seal('whsec_c2VjcmV0');
    expect(() => new SecretBox(randomBytes(32).toString('base64')).open(sealed)).toThrow();
    const [version, iv, tag, data] = sealed.split('.');
    const flipped = Buffer.from(data, 'base64url');
    flipped[0] ^= 1;
    expect(() => box.open([version, iv, tag, flipped.toString('base64url')].join('.'))).toThrow();
    expect(() => box.open('whsec_c2VjcmV0')).toThrow(/not a sealed secret/);
  });

  it('needs a key of 32 bytes', () => {
    expect(() => new SecretBox(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
  });
});
