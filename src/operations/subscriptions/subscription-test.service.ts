import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { HttpSenderService } from '../../delivery/http-sender.service';
import { isSuccessStatus } from '../../delivery/retry-policy';
import { WebhookSignerService } from '../../security/webhook-signer.service';
import { SecretCipher } from '../../subscriptions/secret-cipher';
import { signingKeys } from '../../subscriptions/signing-secrets';
import type { SubscriptionRow } from '../../subscriptions/subscription.repository';
import { SubscriptionTestResponse } from './dto/subscription.response';

export const TEST_EVENT = 'webhook_test';
/** The `{event}` of a test webhook's URL. */
export const TEST_EVENT_PATH = 'webhook-test';
const EXCERPT_LENGTH = 2000;

/**
 * `POST /api/v1/webhooks/subscriptions/:id/test`: one `webhook_test` envelope, signed as the
 * subscription's deliveries are (its secrets and headers; the built-in one with WEBHOOK_SECRET),
 * POSTed now, outside the queue and the circuit breaker. Nothing is recorded: it is not an event.
 */
@Injectable()
export class SubscriptionTestService {
  private readonly logger = new Logger(SubscriptionTestService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly signer: WebhookSignerService,
    private readonly http: HttpSenderService,
    private readonly cipher: SecretCipher,
  ) {}

  async send(sub: SubscriptionRow): Promise<SubscriptionTestResponse> {
    const envelope = {
      id: randomUUID(),
      event: TEST_EVENT,
      created_at: new Date().toISOString(),
      priority: 0,
      entity: { type: 'subscription', id: sub.id },
      data: { message: `Test webhook for subscription "${sub.name}" from the n8n webhook bridge` },
    };
    const body = JSON.stringify(envelope);
    const url = sub.built_in
      ? `${this.config.n8n.baseUrl}/webhook/${TEST_EVENT_PATH}`
      : (sub.url ?? '').replaceAll('{event}', TEST_EVENT_PATH);
    const keys = signingKeys(sub, this.cipher);
    const headers = await this.signer.sign(body, { id: envelope.id, event: TEST_EVENT, attempt: 1 }, keys);
    const result = await this.http.post(url, headers, body);
    const status = result.status ?? null;
    const ok = status !== null && isSuccessStatus(status);
    this.logger.log({ subscription_id: sub.id, subscription: sub.name, status, ok }, 'Test webhook sent');
    return {
      url,
      status_code: status,
      ok,
      duration_ms: result.durationMs,
      response_excerpt: result.body === undefined ? null : result.body.slice(0, EXCERPT_LENGTH),
      error: result.error ?? null,
    };
  }
}
