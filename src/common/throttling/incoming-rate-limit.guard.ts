import { applyDecorators, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { ThrottlerLimitDetail } from '@nestjs/throttler/dist/throttler.guard.interface';
import type { Request, Response } from 'express';
import { sourceIpOf } from '../http/source-ip';

/** The named throttler registered by ThrottlingModule for incoming n8n callbacks. */
export const INCOMING_THROTTLER = 'incoming';

/**
 * Limits incoming n8n callbacks to INCOMING_RATE_LIMIT_PER_MINUTE per source address (one
 * budget shared by every route that uses it, counted in Redis across API processes). Beyond it:
 * 429 `too_many_requests` with `Retry-After` (seconds).
 */
@Injectable()
export class IncomingRateLimitGuard extends ThrottlerGuard {
  /**
   * The budget's key: the client address (from X-Forwarded-For only when TRUST_PROXY trusts the
   * hop). A forwarded value that is not an IP does not choose the bucket: the connection's peer does.
   */
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    // The throttler hands over the request untyped; a socket is not guaranteed on every adapter's request.
    const request = req as unknown as Pick<Request, 'ip'> & { socket?: Pick<Request['socket'], 'remoteAddress'> };
    return super.getTracker({ ip: sourceIpOf(request) ?? request.socket?.remoteAddress ?? 'unknown' });
  }

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(detail.timeToBlockExpire));
    return super.throwThrottlingException(context, detail);
  }
}

/**
 * Put it first on an incoming controller (`/api/v1/webhooks/n8n/...`), before the signature guard,
 * so an abusive source is turned away before any HMAC or Redis replay check:
 *
 *   @IncomingRateLimit()
 *   @UseGuards(WebhookSignatureGuard)
 *   @Controller('api/v1/webhooks/n8n/demo-status')
 */
export function IncomingRateLimit(): ClassDecorator & MethodDecorator {
  return applyDecorators(
    UseGuards(IncomingRateLimitGuard),
    ApiTooManyRequestsResponse({ description: 'too_many_requests: INCOMING_RATE_LIMIT_PER_MINUTE exceeded for this source address' }),
    ApiHeader({ name: 'Retry-After', required: false, description: 'On 429: seconds until requests are accepted again' }),
  );
}
