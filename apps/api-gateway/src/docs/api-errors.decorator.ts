import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorEnvelopeDto } from '@exports/contracts';
import { reasonPhrase } from '@exports/platform';
import { headerRefs, RATE_LIMIT_HEADERS, RETRY_AFTER_HEADER } from './rate-limit-headers';

interface ErrorDoc {
  description: string;
  message: string;
  extra?: Record<string, unknown>;
}

const ERRORS: Record<number, ErrorDoc> = {
  400: {
    description: 'Invalid input; `details` names each bad field. Also an EXPIRED link: regenerate it with `POST /exports/{exportId}`.',
    message: 'The request is not valid',
    extra: { details: [{ field: 'listIds', message: 'listIds must be an array' }] },
  },
  401: { description: 'Missing, unknown or revoked X-Api-Key', message: 'The API key in X-Api-Key is not valid' },
  404: { description: "Unknown export, or another account's", message: 'Export 0b7d6c1e-3f0a-4a8e-9d51-2f4c8e6b1a90 was not found' },
  409: {
    description:
      'Conflict with the current state: the export is PENDING, or FAILED (the envelope then carries `exportStatus`, and `exportError` when FAILED); ' +
      'or the Idempotency-Key was already used with a different request',
    message: 'The export is still being produced; poll GET /exports/{exportId} until it is COMPLETED',
  },
  413: { description: 'Request body larger than 64 kB', message: 'The request body is too large' },
  429: {
    description:
      'Rate limit of the API key reached, too many unfinished exports for the account, or too many requests without a valid key from this client address ' +
      '(`AUTH_FAILURES_PER_MINUTE`; the address is then refused for a minute, valid key or not); wait `Retry-After` seconds',
    message: 'Rate limit of 600 requests per 60 s reached for this API key',
    extra: { retryAfter: 12 },
  },
  500: {
    description: 'Unexpected failure; the log line carries the same `errorId`',
    message: 'Something went wrong on our side; quote the errorId to support',
    extra: { errorId: '5f0c2a9e-8b1d-4e7a-b3c6-9d2e1f4a7b80' },
  },
  503: { description: 'A dependency is unavailable, or the request outlasted the database statement timeout; retry later', message: 'Message history is not available right now; retry in a few seconds' },
};

/**
 * Documents the error envelope, with an example, for each status a route can answer,
 * plus 500, which any route can. The 429 documents its headers.
 */
export function ApiErrors(...statuses: number[]) {
  return applyDecorators(
    ...[...new Set([...statuses, 500])].map((status) => {
      const doc = ERRORS[status];
      if (!doc) throw new Error(`ApiErrors: no documentation for status ${status}`);
      return ApiResponse({
        status,
        description: doc.description,
        type: ErrorEnvelopeDto,
        example: { status, error: reasonPhrase(status), message: doc.message, ...doc.extra },
        ...(status === 429 ? { headers: headerRefs({ ...RETRY_AFTER_HEADER, ...RATE_LIMIT_HEADERS }) } : {}),
      });
    }),
  );
}
