import { ValidationError } from 'class-validator';
import { ErrorCode, STATUS_OF_ERROR } from '@exports/contracts';

/** The catalogue lives in contracts (the OpenAPI document lists it); re-exported for the apps' throw sites. */
export { ErrorCode };

export interface FieldError {
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldError[],
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function reasonPhrase(status: number): string {
  return REASON[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

export interface ErrorEnvelope {
  status: number;
  error: string;
  code: ErrorCode;
  message: string;
  details?: FieldError[];
  errorId?: string;
  [extra: string]: unknown;
}

export function envelopeOf(error: DomainError): ErrorEnvelope {
  const status = STATUS_OF_ERROR[error.code];
  return {
    status,
    error: reasonPhrase(status),
    code: error.code,
    message: error.message,
    ...(error.details?.length ? { details: error.details } : {}),
    ...(error.extra ?? {}),
  };
}

/** Flattens class-validator's tree into one `{ field, message }` per problem, with dotted paths. */
export function fieldErrorsOf(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    // A key that is the empty string is named as `""`, so the message still says which field is wrong.
    const property = error.property === '' ? '""' : error.property;
    const field = parent ? (/^\d+$/.test(property) ? `${parent}[${property}]` : `${parent}.${property}`) : property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      message: message.startsWith('property ') && message.endsWith(' should not exist') ? `${field} is not a known field` : message,
    }));
    return own.concat(fieldErrorsOf(error.children ?? [], field));
  });
}

/** Fields named in one validation error: a request with thousands of unknown keys gets a reply of bounded size. */
export const MAX_NAMED_FIELDS = 20;

export function validationError(errors: ValidationError[], message = 'The request is not valid'): DomainError {
  // One entry per distinct problem: several rules of a field may say the same sentence.
  const all = [...new Map(fieldErrorsOf(errors).map((d) => [`${d.field}\n${d.message}`, d])).values()];
  const fields = [...new Set(all.map((d) => d.field))];
  const named = new Set(fields.slice(0, MAX_NAMED_FIELDS));
  const details = all.filter((d) => named.has(d.field));
  const more = fields.length > named.size ? ` and ${fields.length - named.size} more` : '';
  return new DomainError(ErrorCode.Validation, fields.length ? `${message}: ${[...named].join(', ')}${more}` : message, details);
}
