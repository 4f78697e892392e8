import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DELIVERY_QUEUE } from './queue.constants';
import { bullConnection } from './queue.connection';
import { WebhookQueueService } from './webhook-queue.service';

/**
 * The BullMQ priority queue of outgoing webhooks. Producers fail fast while Redis is down
 * (no offline queue): the outbox relay publishes what could not be queued once it is back.
 */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        connection: bullConnection(config, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }),
        prefix: config.redis.queuePrefix,
      }),
    }),
    BullModule.registerQueue({ name: DELIVERY_QUEUE }),
  ],
  providers: [WebhookQueueService],
  exports: [WebhookQueueService, BullModule],
})
export class QueueModule {}
