import { CONSOLE_ROUTE } from '../console.constants';

const CONSOLE_PATH = /^\/console(?:[/?][\x21-\x7e]*)?$/;

/** Where to go after signing in: a console path from the request, or the overview (never another site: no `//host`, no backslash). */
export function nextPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2000 || value.includes('\\') || !CONSOLE_PATH.test(value)) return CONSOLE_ROUTE;
  return value;
}
