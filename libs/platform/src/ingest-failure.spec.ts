import { QueryFailedError } from 'typeorm';
import { validationError } from './errors';
import { isDataError, rejectionReason, retryDelayMs } from './ingest-failure';

function pgError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

describe('retryDelayMs', () => {
  const backoff = { baseMs: 1000, maxMs: 60_000 };

  it('doubles from the base with each delivery, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((count) => retryDelayMs(count, backoff))).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  });

  it('stays at the cap however many deliveries there were', () => {
    expect(retryDelayMs(10_000, backoff)).toBe(60_000);
    expect(retryDelayMs(1_000_000, { baseMs: 100, maxMs: 1000 })).toBe(1000);
  });

  it('treats a count below 1 as the first delivery', () => {
    expect(retryDelayMs(0, backoff)).toBe(1000);
  });
});

describe('isDataError', () => {
  it.each([
    ['a NUL character in text (22021)', pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00')],
    ['a numeric overflow (22003)', pgError('22003', 'numeric field overflow')],
    ['a check constraint (23514)', pgError('23514', 'new row violates check constraint')],
    ['a TypeORM QueryFailedError wrapping 23505', new QueryFailedError('INSERT ...', [], pgError('23505', 'duplicate key value'))],
  ])('is true for %s', (_, error) => {
    expect(isDataError(error)).toBe(true);
  });

  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a connection lost mid-query', new Error('Connection terminated unexpectedly')],
    ['the server shutting down (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['a serialization failure (40001)', pgError('40001', 'could not serialize access')],
    ['a NATS timeout', Object.assign(new Error('TIMEOUT'), { code: 'TIMEOUT' })],
    ['something that is not an Error', 'boom'],
    ['undefined', undefined],
  ])('is false for %s: it is retried, never given up', (_, error) => {
    expect(isDataError(error)).toBe(false);
  });
});

describe('rejectionReason', () => {
  it('names the SQLSTATE and what PostgreSQL said', () => {
    expect(rejectionReason(pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'))).toBe(
      'PostgreSQL refused the event (SQLSTATE 22021): invalid byte sequence for encoding "UTF8": 0x00',
    );
  });

  it('names the invalid fields and each rule they broke', () => {
    const error = validationError([{ property: 'accountId', constraints: { isUuid: 'accountId must be a UUID' }, children: [] }], 'The event is not valid');
    expect(rejectionReason(error)).toBe('The event is not valid: accountId; accountId must be a UUID');
  });

  it('keeps the message of any other error', () => {
    expect(rejectionReason(new Error('the event is not valid JSON'))).toBe('the event is not valid JSON');
  });
});
