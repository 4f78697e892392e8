import { Module } from '@nestjs/common';
import { SecretCipher } from './secret-cipher';
import { SubscriptionRepository } from './subscription.repository';
import { SubscriptionsStartup } from './subscriptions-startup.service';

/** Subscriptions as data: the table's repository, the secret cipher and the start-up sync of the built-in one. */
@Module({
  providers: [SubscriptionRepository, SecretCipher, SubscriptionsStartup],
  exports: [SubscriptionRepository, SecretCipher],
})
export class SubscriptionsModule {}
