import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QueueModule } from '../queue/queue.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { DeliveryRepository } from './delivery.repository';
import { OutboxEvent } from './outbox-event.entity';
import { OutboxPublisher } from './outbox-publisher.service';
import { OutboxRelayService } from './outbox-relay.service';
import { OutboxService } from './outbox.service';

@Module({
  imports: [TypeOrmModule.forFeature([OutboxEvent]), QueueModule, SubscriptionsModule],
  providers: [OutboxService, OutboxPublisher, OutboxRelayService, DeliveryRepository],
  exports: [OutboxService, OutboxPublisher, OutboxRelayService, DeliveryRepository, TypeOrmModule, SubscriptionsModule],
})
export class OutboxModule {}
