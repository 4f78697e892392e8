import type { Request, Response } from 'express';
import { CONSOLE_ROUTE } from '../console.constants';

/** One cookie of the request, or undefined (the console's cookies are base64url: no decoding needed). */
export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface CookieOptions {
  /** Seconds; 0 removes the cookie. */
  maxAgeSeconds: number;
  secure: boolean;
  path?: string;
}

/** Sets a console cookie: HttpOnly, SameSite=Strict, scoped to /console, Secure in production. */
export function setCookie(res: Response, name: string, value: string, options: CookieOptions): void {
  const parts = [
    `${name}=${value}`,
    `Path=${options.path ?? CONSOLE_ROUTE}`,
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (options.secure) parts.push('Secure');
  res.append('Set-Cookie', parts.join('; '));
}
