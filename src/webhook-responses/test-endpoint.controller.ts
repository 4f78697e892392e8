import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { IncomingRateLimit } from '../common/throttling/incoming-rate-limit.guard';
import { redactHeaders, WebhookRequest } from '../security/webhook-request';
import { WebhookVerifierService } from '../security/webhook-verifier.service';

/**
 * Echoes a request and says whether its signature would verify: for wiring up a workflow.
 * Mounted only when WEBHOOK_TEST_ENDPOINT_ENABLED=true (never in production; 404 otherwise).
 * Rate limited like the callbacks; its body is read like theirs (CALLBACK_BODY_LIMIT, JSON only)
 * by the global RequestBodyInterceptor, which keeps the exact bytes on `req.rawBody`.
 */
@ApiTags('n8n callbacks')
@Controller('api/v1/webhooks/test')
@IncomingRateLimit()
export class TestEndpointController {
  constructor(private readonly verifier: WebhookVerifierService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Echo a request and report whether its signature verifies (development only)' })
  echo(@Req() req: WebhookRequest, @Body() body: unknown) {
    const raw = req.rawBody ?? Buffer.alloc(0);
    const result = this.verifier.verify(raw, req.headers);
    return {
      received: body,
      raw_body_bytes: raw.length,
      headers: redactHeaders(req.headers),
      signature: result.ok
        ? { valid: true, webhook_id: result.id ?? null, timestamp: result.timestamp }
        : { valid: false, reason: result.reason },
    };
  }
}
