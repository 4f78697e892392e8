import { AppError } from '../common/errors/app-errors';

/** A filtered replay that matches more events than REPLAY_MAX_EVENTS, sent without `force: true`. */
export class ReplayTooLargeError extends AppError {
  readonly status = 422;
  readonly code = 'replay_too_large';
  constructor(matched: number, max: number) {
    super(`This replay matches ${matched} events, more than REPLAY_MAX_EVENTS (${max}); narrow the filter or send "force": true`, {
      matched,
      max,
    });
  }
}
