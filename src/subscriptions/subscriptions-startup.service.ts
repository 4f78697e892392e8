import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { EVENT_TYPES } from '../events/event-catalog';
import { SecretCipher } from './secret-cipher';
import { SubscriptionRepository } from './subscription.repository';

/**
 * At start-up: writes the built-in subscription from the environment (so zero configuration
 * behaves as N8N_BASE_URL, N8N_WEBHOOK_URL_<EVENT> and N8N_DISABLED_EVENTS say), and checks that
 * SECRETS_ENCRYPTION_KEY opens every stored secret: a lost or changed key stops the start with a
 * clear error instead of signing with garbage.
 */
@Injectable()
export class SubscriptionsStartup implements OnModuleInit {
  private readonly logger = new Logger(SubscriptionsStartup.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly subscriptions: SubscriptionRepository,
    private readonly cipher: SecretCipher,
  ) {}

  async onModuleInit(): Promise<void> {
    const { n8n } = this.config;
    await this.subscriptions.syncBuiltIn({
      url: `${n8n.baseUrl}/webhook/{event}`,
      urlOverrides: { ...n8n.webhookUrls },
      eventTypes: EVENT_TYPES.filter((type) => !n8n.disabledEvents.includes(type)),
    });
    const stored = await this.subscriptions.encryptedSecrets();
    for (const row of stored) {
      if (row.secret_enc !== null) this.cipher.decrypt(row.secret_enc, row.name);
      if (row.previous_secret_enc !== null) this.cipher.decrypt(row.previous_secret_enc, row.name);
    }
    if (this.config.subscriptions.usingDevelopmentKey && stored.length > 0)
      this.logger.warn('SECRETS_ENCRYPTION_KEY is unset: subscription secrets are encrypted with the development key');
  }
}
