import { generateSecret } from '../../src/security/secret';
import { SecretCipher } from '../../src/subscriptions/secret-cipher';
import type { Ordering } from '../../src/subscriptions/subscription.entity';
import { SubscriptionRepository, SubscriptionRow } from '../../src/subscriptions/subscription.repository';
import type { TestApp } from './test-app';

export interface SubscriptionInput {
  name: string;
  url: string;
  eventTypes?: string[];
  ordering?: Ordering;
  enabled?: boolean;
  headers?: Record<string, string>;
  secret?: string;
}

/**
 * Stores a subscription through the app's own repository and cipher (what the admin API does
 * after validating), for tests about delivery rather than about the API. Returns it with its secret.
 */
export async function addSubscription(t: TestApp, input: SubscriptionInput): Promise<SubscriptionRow & { secret: string }> {
  const secret = input.secret ?? generateSecret(t.config.webhook.scheme);
  const row = await t.app.get(SubscriptionRepository).create({
    name: input.name,
    url: input.url,
    eventTypes: input.eventTypes ?? ['*'],
    enabled: input.enabled ?? true,
    ordering: input.ordering ?? 'none',
    headers: input.headers ?? {},
    description: null,
    secretEnc: t.app.get(SecretCipher).encrypt(secret),
  });
  return { ...row, secret };
}
