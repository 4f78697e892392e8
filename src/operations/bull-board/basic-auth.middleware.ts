import type { NextFunction, Request, Response } from 'express';
import { safeEqual } from '../../common/crypto/safe-equal';
import { AppError, UnauthorizedError } from '../../common/errors/app-errors';
import { describeError, errorBody } from '../../common/errors/error-status';
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
  return async (req, res, next) => {
    const credentials = parseBasic(req.headers.authorization);
    const userOk = credentials ? safeEqual(credentials.user, user) : false;
    const passwordOk = credentials ? safeEqual(credentials.password, password) : false;
    const valid = userOk && passwordOk;
    const verdict = await limiter.check(req.ip, credentials !== undefined && !valid);
    if (verdict.blocked) {
      res.setHeader('Retry-After', String(verdict.retryAfterSeconds));
      answer(res, new TooManyAuthFailuresError(verdict.retryAfterSeconds));
      return;
    }
    if (valid) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`);
    answer(res, new UnauthorizedError('unauthorized', 'Valid ADMIN_USER / ADMIN_PASSWORD credentials are required'));
  };
}

/** Answers as the exception filter would (this middleware runs outside it). */
function answer(res: Response, error: AppError): void {
  const described = describeError(error);
  res.status(described.status).json(errorBody(described));
}

export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const encoded = typeof header === 'string' ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)?.[1] : undefined;
  if (encoded === undefined) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
