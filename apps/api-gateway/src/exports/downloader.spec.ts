import { auditedClientIp, auditedUserAgent } from './downloader';

describe('auditedUserAgent', () => {
  it('keeps a plain user agent as it is', () => {
    expect(auditedUserAgent('Mozilla/5.0 (X11; Linux x86_64) curl/8.5.0')).toBe('Mozilla/5.0 (X11; Linux x86_64) curl/8.5.0');
  });

  it('removes C0, DEL and C1 control characters, then trims', () => {
    expect(auditedUserAgent('\tevil\x1b[31mred\x07 agent\x7f\x85\x9b ')).toBe('evil[31mred agent');
    expect(auditedUserAgent('line\r\nInjected: yes\0')).toBe('lineInjected: yes');
  });

  it('cuts at 512 characters, never inside a pair of surrogates', () => {
    expect(auditedUserAgent('x'.repeat(2000))).toBe('x'.repeat(512));
    const emoji = `${'x'.repeat(511)}🎉🎉`;
    expect(auditedUserAgent(emoji)).toBe(`${'x'.repeat(511)}🎉`);
  });

  it('is null when nothing is left, or nothing was sent', () => {
    expect(auditedUserAgent(undefined)).toBeNull();
    expect(auditedUserAgent('')).toBeNull();
    expect(auditedUserAgent('\x01\x02 \t')).toBeNull();
  });

  it('joins a repeated header', () => {
    expect(auditedUserAgent(['a/1', 'b/2'])).toBe('a/1, b/2');
  });
});

describe('auditedClientIp', () => {
  it('keeps IPv4 and IPv6 addresses, and an IPv4-mapped one as IPv4', () => {
    expect(auditedClientIp('203.0.113.7')).toBe('203.0.113.7');
    expect(auditedClientIp('2001:db8::1')).toBe('2001:db8::1');
    expect(auditedClientIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
  });

  it('is null for anything that is not an IP address (a proxy that sends garbage)', () => {
    expect(auditedClientIp(undefined)).toBeNull();
    expect(auditedClientIp('')).toBeNull();
    expect(auditedClientIp('unknown')).toBeNull();
    expect(auditedClientIp('203.0.113.7, 10.0.0.1')).toBeNull();
    expect(auditedClientIp("1.2.3.4'; DROP TABLE exports; --")).toBeNull();
  });
});
