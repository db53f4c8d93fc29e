/**
 * The stable, machine-readable `code` of every error envelope, over HTTP and NATS request-reply
 * alike. Clients branch on it, never on `message`. A code names one situation and always comes
 * with the same HTTP status ({@link STATUS_OF_ERROR}); new situations get new codes, and a code
 * is never reused for something else.
 */
export enum ErrorCode {
  /** A field, header, query parameter or body is not valid; `details` names each one. */
  Validation = 'VALIDATION_FAILED',
  /** The export's download link has passed: regenerate it with POST /exports/{exportId}. */
  LinkExpired = 'LINK_EXPIRED',
  /** X-Api-Key missing, unknown or revoked. */
  Unauthorized = 'UNAUTHORIZED',
  /** A NATS request whose payload names another account than its subject. */
  AccountMismatch = 'ACCOUNT_MISMATCH',
  /** No such export for this account (another account's included), or no such route. */
  NotFound = 'NOT_FOUND',
  /** The export is still PENDING: there is no link to regenerate yet. */
  ExportNotReady = 'EXPORT_NOT_READY',
  /** Only a PENDING export can be cancelled: this one is COMPLETED, EXPIRED, FAILED or already CANCELLED. */
  ExportNotCancellable = 'EXPORT_NOT_CANCELLABLE',
  /** The export changed while the request was handled (a concurrent regenerate): read it again. */
  ExportChanged = 'EXPORT_CHANGED',
  /** The Idempotency-Key was already used with a different request. */
  IdempotencyConflict = 'IDEMPOTENCY_CONFLICT',
  /** The request body is larger than the limit. */
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  /** A body that is not JSON (its Content-Type), not in UTF-8, or in a Content-Encoding the API does not read. */
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  /** The API key's request budget is spent, or this address sent too many requests without a valid key. */
  RateLimited = 'RATE_LIMITED',
  /** The account already has the maximum number of unfinished (PENDING) exports. */
  TooManyOpenExports = 'TOO_MANY_OPEN_EXPORTS',
  /** The account already has the maximum number of webhook endpoints; delete one first. */
  TooManyWebhooks = 'TOO_MANY_WEBHOOKS',
  /** An unexpected failure; `errorId` identifies it in the logs. */
  Internal = 'INTERNAL',
  /** A dependency (database, message history) cannot answer now; retry later. */
  Unavailable = 'SERVICE_UNAVAILABLE',
}

export const STATUS_OF_ERROR: Record<ErrorCode, number> = {
  [ErrorCode.Validation]: 400,
  [ErrorCode.LinkExpired]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.AccountMismatch]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.ExportNotReady]: 409,
  [ErrorCode.ExportNotCancellable]: 409,
  [ErrorCode.ExportChanged]: 409,
  [ErrorCode.IdempotencyConflict]: 409,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.UnsupportedMediaType]: 415,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.TooManyOpenExports]: 429,
  [ErrorCode.TooManyWebhooks]: 409,
  [ErrorCode.Internal]: 500,
  [ErrorCode.Unavailable]: 503,
};

/** The code of an error that only its status describes (a framework's 404, a body parser's 415). */
export function errorCodeOfStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return ErrorCode.Unauthorized;
    case 404:
      return ErrorCode.NotFound;
    case 413:
      return ErrorCode.PayloadTooLarge;
    case 415:
      return ErrorCode.UnsupportedMediaType;
    case 429:
      return ErrorCode.RateLimited;
    case 503:
      return ErrorCode.Unavailable;
    default:
      return status >= 500 ? ErrorCode.Internal : ErrorCode.Validation;
  }
}
