import { QueryFailedError } from 'typeorm';
import {
  isDatabaseUnavailable,
  isForeignKeyViolation,
  isTransactionConflict,
  isUniqueViolation,
  pgConstraint,
  pgErrorCode,
} from './postgres-errors';

/** What TypeORM throws for a statement Postgres refused. */
const queryFailed = (code: string, constraint?: string) =>
  new QueryFailedError('INSERT …', [], Object.assign(new Error(`failed with ${code}`), { code, ...(constraint && { constraint }) }));

describe('postgres errors', () => {
  it('reads the SQLSTATE and the constraint of a failed query', () => {
    const error = queryFailed('23505', 'uq_leads_url');
    expect(pgErrorCode(error)).toBe('23505');
    expect(pgConstraint(error)).toBe('uq_leads_url');
    expect(pgErrorCode(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(pgErrorCode(new Error('no code'))).toBeUndefined();
    expect(pgConstraint(new Error('not a query'))).toBeUndefined();
  });

  it('names unique and foreign-key violations of failed queries only', () => {
    expect(isUniqueViolation(queryFailed('23505'))).toBe(true);
    expect(isForeignKeyViolation(queryFailed('23503'))).toBe(true);
    expect(isUniqueViolation(queryFailed('23503'))).toBe(false);
    expect(isUniqueViolation(Object.assign(new Error('x'), { code: '23505' }))).toBe(false);
  });

  it('tells transaction conflicts apart', () => {
    expect(isTransactionConflict(queryFailed('40001'))).toBe(true);
    expect(isTransactionConflict(queryFailed('40P01'))).toBe(true);
    expect(isTransactionConflict(queryFailed('23505'))).toBe(false);
  });

  it.each([
    ['a shutdown (57P01)', queryFailed('57P01')],
    ['a connection exception (08006)', queryFailed('08006')],
    ['a refused socket', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a lost connection without a code', new Error('Connection terminated unexpectedly')],
    ['a pool timeout', new Error('timeout exceeded when trying to connect')],
  ])('takes %s as the database being unavailable', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('does not take a refused row, or anything else, as the database being unavailable', () => {
    expect(isDatabaseUnavailable(queryFailed('23505'))).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});
