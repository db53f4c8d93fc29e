import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorCode, ErrorEnvelopeDto, STATUS_OF_ERROR } from '@exports/contracts';
import { reasonPhrase } from '@exports/platform';
import { headerRefs, RATE_LIMIT_HEADERS, RETRY_AFTER_HEADER } from './rate-limit-headers';

interface ErrorExample {
  message: string;
  extra?: Record<string, unknown>;
}

/** One example envelope per code; a route's response for a status shows the codes it can give. */
const EXAMPLES: Record<ErrorCode, ErrorExample> = {
  [ErrorCode.Validation]: { message: 'The request is not valid: listIds', extra: { details: [{ field: 'listIds', message: 'listIds must be an array' }] } },
  [ErrorCode.LinkExpired]: { message: 'The download link has expired; regenerate it with POST /exports/{exportId}', extra: { exportStatus: 'EXPIRED' } },
  [ErrorCode.Unauthorized]: { message: 'The API key in X-Api-Key is not valid' },
  [ErrorCode.AccountMismatch]: { message: 'accountId must be the account of the subject' },
  [ErrorCode.NotFound]: { message: 'Export 0b7d6c1e-3f0a-4a8e-9d51-2f4c8e6b1a90 was not found' },
  [ErrorCode.ExportNotReady]: { message: 'The export is still being produced; poll GET /exports/{exportId} until it is COMPLETED', extra: { exportStatus: 'PENDING' } },
  [ErrorCode.ExportNotCancellable]: { message: 'The export is COMPLETED: only a PENDING export can be cancelled', extra: { exportStatus: 'COMPLETED' } },
  [ErrorCode.ExportChanged]: { message: 'The export changed while the request was handled; read it again' },
  [ErrorCode.IdempotencyConflict]: { message: 'This Idempotency-Key was already used with a different request; use a new key for a new export' },
  [ErrorCode.PayloadTooLarge]: { message: 'The request body is larger than 64kb' },
  [ErrorCode.UnsupportedMediaType]: { message: 'The request body must be JSON, sent as Content-Type: application/json' },
  [ErrorCode.RateLimited]: { message: 'Rate limit of 600 requests per 60 s reached for this API key', extra: { retryAfter: 12 } },
  [ErrorCode.TooManyOpenExports]: { message: 'The account already has 5 unfinished exports (limit 5); wait for one to finish', extra: { retryAfter: 5 } },
  [ErrorCode.TooManyWebhooks]: { message: 'The account already has 10 webhook endpoints (limit 10); delete one first' },
  [ErrorCode.Internal]: { message: 'Something went wrong on our side; quote the errorId to support', extra: { errorId: '5f0c2a9e-8b1d-4e7a-b3c6-9d2e1f4a7b80' } },
  [ErrorCode.Unavailable]: { message: 'Message history is not available right now; retry in a few seconds' },
};

const DESCRIPTIONS: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.Validation]: '`VALIDATION_FAILED`: invalid input; `details` names each bad field',
  [ErrorCode.LinkExpired]: '`LINK_EXPIRED`: the link of this export has expired; regenerate it with `POST /exports/{exportId}`',
  [ErrorCode.Unauthorized]: '`UNAUTHORIZED`: missing, unknown or revoked X-Api-Key',
  [ErrorCode.NotFound]: "`NOT_FOUND`: unknown export, another account's, or an id that is not a UUID",
  [ErrorCode.ExportNotReady]: '`EXPORT_NOT_READY`: the export is still PENDING',
  [ErrorCode.ExportNotCancellable]: '`EXPORT_NOT_CANCELLABLE`: the export is COMPLETED, EXPIRED, FAILED or already CANCELLED; only a PENDING export can be cancelled',
  [ErrorCode.ExportChanged]: '`EXPORT_CHANGED`: the export changed while the request was handled; read it again',
  [ErrorCode.IdempotencyConflict]: '`IDEMPOTENCY_CONFLICT`: the Idempotency-Key was already used with a different request',
  [ErrorCode.PayloadTooLarge]: '`PAYLOAD_TOO_LARGE`: request body larger than 64 kB',
  [ErrorCode.UnsupportedMediaType]: '`UNSUPPORTED_MEDIA_TYPE`: a body that is not JSON (Content-Type), not UTF-8, or in an unknown Content-Encoding',
  [ErrorCode.RateLimited]:
    '`RATE_LIMITED`: the request budget of the API key is spent, or this client address sent too many requests without a valid key ' +
    '(`AUTH_FAILURES_PER_MINUTE`; it is then refused for a minute, valid key or not); wait `Retry-After` seconds',
  [ErrorCode.TooManyOpenExports]: '`TOO_MANY_OPEN_EXPORTS`: the account has its maximum of unfinished exports; wait for one to finish',
  [ErrorCode.TooManyWebhooks]: '`TOO_MANY_WEBHOOKS`: the account has its maximum of webhook endpoints (`WEBHOOK_MAX_PER_ACCOUNT`); delete one first',
  [ErrorCode.Internal]: '`INTERNAL`: unexpected failure; the log line carries the same `errorId`',
  [ErrorCode.Unavailable]: '`SERVICE_UNAVAILABLE`: a dependency is unavailable, or the request outlasted the database statement timeout; retry later',
};

export function errorExample(code: ErrorCode): Record<string, unknown> {
  const status = STATUS_OF_ERROR[code];
  return { status, error: reasonPhrase(status), code, message: EXAMPLES[code].message, ...EXAMPLES[code].extra };
}

/**
 * Documents the error envelope of each code a route can answer, grouped by status (one
 * example per code), plus INTERNAL, which any route can. The 429 documents its headers.
 */
export function ApiErrors(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set([...codes, ErrorCode.Internal])) {
    const status = STATUS_OF_ERROR[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, statusCodes]) =>
      ApiResponse({
        status,
        description: statusCodes.map((code) => DESCRIPTIONS[code] ?? `\`${code}\``).join('; or '),
        type: ErrorEnvelopeDto,
        ...(statusCodes.length === 1
          ? { example: errorExample(statusCodes[0]) }
          : { examples: Object.fromEntries(statusCodes.map((code) => [code, { summary: code, value: errorExample(code) }])) }),
        ...(status === 429 ? { headers: headerRefs({ ...RETRY_AFTER_HEADER, ...RATE_LIMIT_HEADERS }) } : {}),
      }),
    ),
  );
}

/** The errors any route behind the API key can give besides its own. */
export const KEYED = [ErrorCode.Unauthorized, ErrorCode.RateLimited, ErrorCode.Unavailable] as const;
