import { AppError } from '../common/errors/app-errors';

/** A console page asked for without a valid session: pages redirect to the sign-in form, the JSON endpoint answers 401. */
export class ConsoleSignInRequiredError extends AppError {
  readonly status = 401;
  readonly code = 'sign_in_required';
  constructor() {
    super('Sign in to use the console');
  }
}

/** A state-changing console request without the session's CSRF token, or sent from another site. */
export class CsrfTokenMismatchError extends AppError {
  readonly status = 403;
  readonly code = 'csrf_token_mismatch';
  constructor(why: string) {
    super(`This form was not sent by the console (${why}); reload the page and try again`);
  }
}

/** Wrong user name or password on the sign-in form (the address's failure is counted). */
export class SignInFailedError extends AppError {
  readonly status = 401;
  readonly code = 'sign_in_failed';
  constructor() {
    super('Wrong user name or password');
  }
}
