import { isDatabaseUnavailable, isTransactionConflict, pgErrorCode } from '../../database/postgres-errors';
import { sanitizeText } from '../text/sanitize-text';

/**
 * How the group-commit writers (delivery recorder, audit log) treat a failed multi-row write:
 * - the database is unreachable: retry the same batch with backoff (the rows are fine);
 * - a conflict between concurrent transactions (serialization failure, deadlock): retry a few
 *   times, then treat it like the next case;
 * - anything else is about the rows (Postgres refuses a value): split the batch until the
 *   refused row is alone, so it cannot hold back the others (MicroBatcher `splitOn`).
 */

const CONFLICT_RETRIES = 5;

/** A failure that may come from one of the rows written (MicroBatcher `splitOn`). */
export function isRowFailure(error: unknown): boolean {
  return !isDatabaseUnavailable(error);
}

/**
 * MicroBatcher `retryDelay` for database writes: backoff while the database is unreachable
 * (up to `unavailableAttempts` attempts), a few quick retries on a conflict, undefined otherwise.
 */
export function writeRetryDelay(error: unknown, attempt: number, unavailableAttempts = Number.POSITIVE_INFINITY): number | undefined {
  if (isDatabaseUnavailable(error)) return attempt < unavailableAttempts ? Math.min(30_000, 200 * 2 ** Math.min(attempt, 8)) : undefined;
  if (isTransactionConflict(error)) return attempt <= CONFLICT_RETRIES ? 20 * attempt : undefined;
  return undefined;
}

/** What is stored instead of the texts of a row the database refused. */
export function refusalNote(error: unknown): string {
  const code = pgErrorCode(error);
  return `[not stored: the database refused this row${code ? ` (SQLSTATE ${code})` : ''}]`;
}

/**
 * A database error for the log: its SQLSTATE and message only. Not the error itself: TypeORM's
 * QueryFailedError carries the statement's parameters (bodies, headers) and pino would log them.
 */
export function loggableError(error: unknown): { code?: string; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  return { code: pgErrorCode(error), message: sanitizeText(message, 500) };
}
