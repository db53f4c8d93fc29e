import type { Request, Response } from 'express';
import { PLATFORM_BASE_PATH, platformBasePath } from './base-path';

function routed(url: string): string {
  const request = { url } as Request;
  let nextCalls = 0;
  platformBasePath(request, {} as Response, () => (nextCalls += 1));
  expect(nextCalls).toBe(1);
  return request.url;
}

describe('platform base path', () => {
  it('routes a URL under the base path as the same URL at the root', () => {
    expect(PLATFORM_BASE_PATH).toBe('/api/partner-gateway/v1');
    expect(routed('/api/partner-gateway/v1/exports')).toBe('/exports');
    expect(routed('/api/partner-gateway/v1/exports/0b7d6c1e-3f0a-4a8e-9d51-2f4c8e6b1a90?x=1')).toBe('/exports/0b7d6c1e-3f0a-4a8e-9d51-2f4c8e6b1a90?x=1');
    expect(routed('/api/partner-gateway/v1/messages/history?channel=SMS')).toBe('/messages/history?channel=SMS');
    expect(routed('/api/partner-gateway/v1')).toBe('/');
    expect(routed('/api/partner-gateway/v1?page=0')).toBe('/?page=0');
  });

  it('leaves root URLs and look-alike prefixes alone', () => {
    expect(routed('/exports?page=0')).toBe('/exports?page=0');
    expect(routed('/api/partner-gateway/v10/exports')).toBe('/api/partner-gateway/v10/exports');
    expect(routed('/api/partner-gateway/v1exports')).toBe('/api/partner-gateway/v1exports');
    expect(routed('/x/api/partner-gateway/v1/exports')).toBe('/x/api/partner-gateway/v1/exports');
  });
});
