import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { QueueConnections } from './queue.connection';
import { WebhookQueueService } from './webhook-queue.service';

/** BullMQ's connections, for the root module below and for the workers. */
@Module({
  providers: [QueueConnections],
  exports: [QueueConnections],
})
export class QueueConnectionModule {}

/**
 * The BullMQ priority queues of outgoing webhooks (QUEUE_PARTITIONS of them, owned by
 * WebhookQueueService) and the root options of the other queues (maintenance). Producers fail
 * fast while Redis is down (no offline queue): the outbox relay publishes what could not be
 * queued once it is back.
 */
@Module({
  imports: [
    QueueConnectionModule,
    BullModule.forRootAsync({
      imports: [QueueConnectionModule],
      inject: [QueueConnections],
      useFactory: (connections: QueueConnections) => ({
        connection: connections.forQueues(),
        prefix: connections.sharedQueuePrefix,
      }),
    }),
  ],
  providers: [WebhookQueueService],
  exports: [WebhookQueueService, QueueConnectionModule, BullModule],
})
export class QueueModule {}
