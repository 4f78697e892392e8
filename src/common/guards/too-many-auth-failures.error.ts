import { AppError } from '../errors/app-errors';

/**
 * Too many failed admin authentications from one address (ADMIN_AUTH_FAILURES_PER_MINUTE): 429
 * `too_many_requests`. Whoever throws or writes it also sets `Retry-After` to `retryAfterSeconds`.
 */
export class TooManyAuthFailuresError extends AppError {
  readonly status = 429;
  readonly code = 'too_many_requests';
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many failed authentication attempts from this address; retry in ${retryAfterSeconds} s`);
  }
}
