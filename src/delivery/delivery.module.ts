import { Module } from '@nestjs/common';
import { AlertingModule } from '../alerts/alerting.module';
import { AuditModule } from '../audit/audit.module';
import { CircuitBreakerModule } from '../circuit-breaker/circuit-breaker.module';
import { MetricsModule } from '../metrics/metrics.module';
import { OutboxModule } from '../outbox/outbox.module';
import { QueueModule } from '../queue/queue.module';
import { SecurityModule } from '../security/security.module';
import { DeliveryClaimsService } from './delivery-claims.service';
import { DeliveryRecorderService } from './delivery-recorder.service';
import { DeliveryProcessor } from './delivery.processor';
import { DeliveryService } from './delivery.service';
import { DeliveryWorker } from './delivery.worker';
import { HttpSenderService } from './http-sender.service';
import { ChainAdvancer } from './chain-advancer.service';
import { SubscriptionHealthService } from './subscription-health.service';

/** Signs and sends queued deliveries to their subscriptions: one attempt, from claim to record. Run by DeliveryWorkerModule. */
@Module({
  imports: [OutboxModule, QueueModule, AuditModule, SecurityModule, CircuitBreakerModule, AlertingModule, MetricsModule],
  providers: [
    DeliveryService,
    DeliveryClaimsService,
    DeliveryProcessor,
    HttpSenderService,
    DeliveryRecorderService,
    ChainAdvancer,
    SubscriptionHealthService,
  ],
  exports: [DeliveryService, DeliveryRecorderService, DeliveryProcessor, ChainAdvancer, HttpSenderService],
})
export class DeliveryModule {}

/** The BullMQ worker of the delivery queue; imported by the worker root only (roles `all` and `worker`). */
@Module({
  imports: [DeliveryModule, QueueModule],
  providers: [DeliveryWorker],
})
export class DeliveryWorkerModule {}
