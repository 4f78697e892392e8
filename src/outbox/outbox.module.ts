import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OutboxEvent } from './outbox-event.entity';
import { OutboxPublisher } from './outbox-publisher.service';
import { OutboxRelayService } from './outbox-relay.service';
import { OutboxService } from './outbox.service';

@Module({
  imports: [TypeOrmModule.forFeature([OutboxEvent])],
  providers: [OutboxService, OutboxPublisher, OutboxRelayService],
  exports: [OutboxService, OutboxPublisher, OutboxRelayService, TypeOrmModule],
})
export class OutboxModule {}
