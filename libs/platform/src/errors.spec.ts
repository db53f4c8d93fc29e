import { IsInt, IsString, ValidateNested, ValidationError } from 'class-validator';
import { Type } from 'class-transformer';
import { DomainError, envelopeOf, ErrorCode, fieldErrorsOf, validationError } from './errors';
import { checkPayload } from './validation';

class Inner {
  @IsInt() count!: number;
}

class Outer {
  @IsString() name!: string;
  @ValidateNested() @Type(() => Inner) inner!: Inner;
}

describe('error envelope', () => {
  it('maps each code to its status and reason', () => {
    expect(envelopeOf(new DomainError(ErrorCode.NotFound, 'Export x was not found'))).toEqual({ status: 404, error: 'Not Found', code: 'NOT_FOUND', message: 'Export x was not found' });
    expect(envelopeOf(new DomainError(ErrorCode.RateLimited, 'slow down', undefined, { retryAfter: 3 }))).toEqual({
      status: 429,
      error: 'Too Many Requests',
      code: 'RATE_LIMITED',
      message: 'slow down',
      retryAfter: 3,
    });
  });

  it('names every bad field, nested ones with a dotted path, and unknown fields', () => {
    const error = thrownBy(() => checkPayload(Outer, { name: 5, inner: { count: 'x' }, extra: true }, 'event')) as DomainError;
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe(ErrorCode.Validation);
    expect(error.details).toEqual(
      expect.arrayContaining([
        { field: 'name', message: 'name must be a string' },
        { field: 'inner.count', message: 'count must be an integer number' },
        { field: 'extra', message: 'extra is not a known field' },
      ]),
    );
    expect(error.message).toMatch(/^The event is not valid: /);
  });

  it('refuses payloads that are not objects', () => {
    for (const payload of [null, 'text', 42, [1]]) {
      expect(() => checkPayload(Outer, payload, 'request')).toThrow('The request must be a JSON object');
    }
  });
});

describe('fieldErrorsOf, a key that is the empty string', () => {
  it('names it as "" so the message still points at it', () => {
    const error = Object.assign(new ValidationError(), { property: '', constraints: { whitelistValidation: 'property  should not exist' }, children: [] });
    expect(fieldErrorsOf([error])).toEqual([{ field: '""', message: '"" is not a known field' }]);
    expect(validationError([error]).message).toBe('The request is not valid: ""');
  });
});

function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
