import { QueryFailedError } from 'typeorm';

/**
 * The Postgres errors the bridge tells apart, in one place: the SQLSTATE codes it acts on and how
 * to read them from what TypeORM and the pg driver throw.
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html)
 */
export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';
export const SERIALIZATION_FAILURE = '40001';
export const DEADLOCK_DETECTED = '40P01';

/** A conflict between concurrent transactions: the same work may succeed when retried. */
const TRANSACTION_CONFLICT_CODES = new Set([SERIALIZATION_FAILURE, DEADLOCK_DETECTED]);

/** SQLSTATEs that mean "the database is not reachable right now" (shutting down, cannot connect now, connection exceptions). */
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);

/** Socket errors of the driver's connection. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

/** pg's errors for a lost or unobtainable connection that carry no code. */
const UNAVAILABLE_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED/i;

/** The SQLSTATE (or the socket error code) of a failed query, when there is one. */
export function pgErrorCode(error: unknown): string | undefined {
  const err = error as { code?: unknown; driverError?: { code?: unknown } } | undefined;
  const code = err?.driverError?.code ?? err?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The constraint a failed query violated (unique index, foreign key), when Postgres named one. */
export function pgConstraint(error: unknown): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const constraint = (error.driverError as { constraint?: unknown } | undefined)?.constraint;
  return typeof constraint === 'string' ? constraint : undefined;
}

export function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && pgErrorCode(error) === UNIQUE_VIOLATION;
}

export function isForeignKeyViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && pgErrorCode(error) === FOREIGN_KEY_VIOLATION;
}

/** A serialization failure or a deadlock. */
export function isTransactionConflict(error: unknown): boolean {
  return TRANSACTION_CONFLICT_CODES.has(pgErrorCode(error) ?? '');
}

/** The database could not be reached (nothing was applied; the same work may succeed later). */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = pgErrorCode(error);
  if (code && (UNAVAILABLE_CODES.has(code) || NETWORK_CODES.has(code))) return true;
  const message = (error as { message?: unknown } | undefined)?.message;
  return UNAVAILABLE_MESSAGE.test(typeof message === 'string' ? message : '');
}
