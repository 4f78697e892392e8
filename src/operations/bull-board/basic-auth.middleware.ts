import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { AuthFailureCounter } from '../../common/guards/auth-failure-limiter.service';
import { TooManyAuthFailuresError } from '../../common/guards/too-many-auth-failures.error';

/**
 * HTTP Basic authentication for the Bull Board dashboard (ADMIN_USER / ADMIN_PASSWORD). Bull Board
 * is Express middleware, outside Nest's guards and exception filter, so it is protected here,
 * through the package's own `middleware` option, and answers in the filter's JSON shape itself.
 * Both parts are compared in constant time. Wrong credentials count against the source address
 * (the same budget as the bearer token): past the limit, 429 with Retry-After, right credentials
 * included. A request without a well-formed Basic header is not a guess (a browser's first
 * request never has one) and is not counted.
 */
export function basicAuth(
  user: string,
  password: string,
  limiter: AuthFailureCounter,
  realm = 'bull-board',
): (req: Request, res: Response, next: NextFunction) => Promise<void> {
  const expectedUser = digest(user);
  const expectedPassword = digest(password);
  return async (req, res, next) => {
    const credentials = parseBasic(req.headers.authorization);
    const userOk = credentials ? timingSafeEqual(digest(credentials.user), expectedUser) : false;
    const passwordOk = credentials ? timingSafeEqual(digest(credentials.password), expectedPassword) : false;
    const valid = userOk && passwordOk;
    const verdict = await limiter.check(req.ip, credentials !== undefined && !valid);
    if (verdict.blocked) {
      const error = new TooManyAuthFailuresError(verdict.retryAfterSeconds);
      res.setHeader('Retry-After', String(verdict.retryAfterSeconds));
      res.status(error.status).json({ statusCode: error.status, error: error.code, message: error.message });
      return;
    }
    if (valid) return next();
    res.setHeader('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`);
    res.status(401).json({ statusCode: 401, error: 'unauthorized', message: 'Valid ADMIN_USER / ADMIN_PASSWORD credentials are required' });
  };
}

export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const match = typeof header === 'string' ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
