import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { Request } from 'express';
import { DomainError, ErrorCode } from '@exports/platform';

const VALID = /^[\x21-\x7e]{1,255}$/;
const MESSAGE = 'Idempotency-Key must be 1-255 visible ASCII characters (a UUID is a good choice)';

/** The optional `Idempotency-Key` header, validated: same key and body → the same export. */
export const IdempotencyKey = createParamDecorator((_data: unknown, context: ExecutionContext): string | undefined => {
  const value = context.switchToHttp().getRequest<Request>().headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !VALID.test(value)) {
    throw new DomainError(ErrorCode.Validation, MESSAGE, [{ field: 'Idempotency-Key', message: MESSAGE }]);
  }
  return value;
});

export const ApiIdempotencyKey = () =>
  ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Same key and same body within the account give back the same export (200); same key with another body is a 409. Kept with the export (at least 24 hours).',
    example: '3f8a1c52-6a4e-4c8e-9a55-0c2d1d6f1e20',
  });
