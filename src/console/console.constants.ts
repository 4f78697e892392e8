/** Where the console is served, and the names of its cookies. */
export const CONSOLE_ROUTE = '/console';
/** The session cookie: an opaque random token; the session itself lives in Redis. */
export const SESSION_COOKIE = 'bridge_console';
/** The sign-in form's CSRF token (double submit: this cookie and the form field must match). */
export const SIGN_IN_COOKIE = 'bridge_console_sign_in';
/** The name of the CSRF field of every console form. */
export const CSRF_FIELD = '_csrf';

/** True for `/console` and everything under it (Express matches routes case-insensitively, so this does too). */
export function isConsolePath(path: string): boolean {
  const p = path.toLowerCase();
  return p === CONSOLE_ROUTE || p.startsWith(`${CONSOLE_ROUTE}/`);
}
