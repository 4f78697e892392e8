import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { safeEqual } from '../crypto/safe-equal';
import { UnauthorizedError } from '../errors/app-errors';
import { AuthFailureLimiter } from './auth-failure-limiter.service';
import { TooManyAuthFailuresError } from './too-many-auth-failures.error';

/**
 * Bearer `ADMIN_TOKEN` for the internal REST API, the queue API and /metrics. Without a configured
 * token every call is refused. Wrong tokens count against the source address
 * (ADMIN_AUTH_FAILURES_PER_MINUTE): past the limit, 429 with Retry-After, right token included.
 * Only a presented bearer token counts as a guess; no header or another scheme cannot succeed and
 * is a plain 401.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected?: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly limiter: AuthFailureLimiter,
  ) {
    if (config.admin.token) this.expected = config.admin.token;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const token = bearerToken(req.headers.authorization);
    // Compared in constant time, before the limiter is asked, so both answers take the same path.
    const valid = token !== undefined && this.expected !== undefined && safeEqual(token, this.expected);
    const verdict = await this.limiter.check(req.ip, token !== undefined && !valid);
    if (verdict.blocked) {
      http.getResponse<Response>().setHeader('Retry-After', String(verdict.retryAfterSeconds));
      throw new TooManyAuthFailuresError(verdict.retryAfterSeconds);
    }
    if (!valid) throw new UnauthorizedError('unauthorized', 'A valid bearer token is required');
    return true;
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return match ? match[1] : undefined;
}
