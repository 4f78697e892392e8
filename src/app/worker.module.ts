import { Module } from '@nestjs/common';
import { DeliveryWorkerModule } from '../delivery/delivery.module';
import { RetentionWorkerModule } from '../operations/retention/retention.module';
import { OutboxModule } from '../outbox/outbox.module';
import { TriggersModule } from '../triggers/triggers.module';

/**
 * The background side (roles `worker` and `all`), no HTTP: the delivery worker (sign, send,
 * record, alert), the daily retention worker, and the outbox relay (which runs in every process).
 */
@Module({
  imports: [DeliveryWorkerModule, RetentionWorkerModule, TriggersModule, OutboxModule],
})
export class WorkerModule {}
