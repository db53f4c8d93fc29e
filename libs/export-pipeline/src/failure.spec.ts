import { ExportErrorCode } from '@exports/contracts';
import { classifyFailure, StallError, StorageError } from './failure';

describe('classifyFailure', () => {
  it.each([
    ['a stall', new StallError(10), ExportErrorCode.Timeout],
    ['a storage error, even over a refused socket', new StorageError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), ExportErrorCode.StorageUnavailable],
    ['PostgreSQL shutting down (57P01)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), ExportErrorCode.SourceUnavailable],
    ['a refused PostgreSQL connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), ExportErrorCode.SourceUnavailable],
    ['a connection that dropped', new Error('Connection terminated unexpectedly'), ExportErrorCode.SourceUnavailable],
    ['a query on a client whose connection broke', new Error('Client has encountered a connection error and is not queryable'), ExportErrorCode.SourceUnavailable],
    ['a missing table', Object.assign(new Error('relation "contacts" does not exist'), { code: '42P01' }), ExportErrorCode.Internal],
  ])('%s', (_name, error, code) => {
    expect(classifyFailure(error)).toBe(code);
  });
});
