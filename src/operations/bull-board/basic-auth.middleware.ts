import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/**
 * HTTP Basic authentication for the Bull Board dashboard (ADMIN_USER / ADMIN_PASSWORD). Bull Board
 * is Express middleware, outside Nest's guards, so it is protected here, through the package's
 * own `middleware` option. Both parts are compared in constant time.
 */
export function basicAuth(user: string, password: string, realm = 'bull-board'): (req: Request, res: Response, next: NextFunction) => void {
  const expectedUser = digest(user);
  const expectedPassword = digest(password);
  return (req, res, next) => {
    const credentials = parseBasic(req.headers.authorization);
    const userOk = credentials ? timingSafeEqual(digest(credentials.user), expectedUser) : false;
    const passwordOk = credentials ? timingSafeEqual(digest(credentials.password), expectedPassword) : false;
    if (userOk && passwordOk) return next();
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
