import type { HeaderObject, ReferenceObject } from '@nestjs/swagger';

/**
 * The headers of the per-key rate limit (ApiKeyGuard, HttpErrorFilter), defined once in
 * `components.headers` and referenced from the responses.
 */
export const RATE_LIMIT_HEADERS: Record<string, HeaderObject> = {
  'X-RateLimit-Limit': {
    description: 'Requests this API key may make per window, across all gateway instances. Sent once the key is accepted.',
    schema: { type: 'integer', minimum: 1 },
    example: 600,
  },
  'X-RateLimit-Remaining': {
    description: 'Requests left to this API key in the current window. Sent once the key is accepted.',
    schema: { type: 'integer', minimum: 0 },
    example: 599,
  },
  'X-RateLimit-Reset': {
    description: 'Seconds until the current window ends and the budget is full again. Sent once the key is accepted.',
    schema: { type: 'integer', minimum: 1 },
    example: 42,
  },
};

export const RETRY_AFTER_HEADER: Record<string, HeaderObject> = {
  'Retry-After': {
    description: 'Seconds to wait before trying again (also in the body as `retryAfter`).',
    schema: { type: 'integer', minimum: 1 },
    example: 12,
  },
};

export const headerRef = (name: string): ReferenceObject => ({ $ref: `#/components/headers/${name}` });

/** References to the given headers, for a response's `headers`. */
export function headerRefs(headers: Record<string, HeaderObject>): Record<string, ReferenceObject> {
  return Object.fromEntries(Object.keys(headers).map((name) => [name, headerRef(name)]));
}
