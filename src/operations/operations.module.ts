import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CircuitBreakerModule } from '../circuit-breaker/circuit-breaker.module';
import { AdminAuthModule } from '../common/guards/admin-auth.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { OutboxModule } from '../outbox/outbox.module';
import { QueueModule } from '../queue/queue.module';
import { SecurityModule } from '../security/security.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { DeliveriesController } from './deliveries.controller';
import { DeliveryActionsService } from './delivery-actions.service';
import { DeliveryQueryService } from './delivery-query.service';
import { QueueStatsService } from './queue-stats.service';
import { QueueController } from './queue.controller';
import { ReplayService } from './replay.service';
import { RetentionModule } from './retention/retention.module';
import { SubscriptionTestService } from './subscriptions/subscription-test.service';
import { SubscriptionsController } from './subscriptions/subscriptions.controller';
import { SubscriptionsService } from './subscriptions/subscriptions.service';

/**
 * Running the pipeline: the admin API under /api/v1/webhooks/queue (stats, deliveries, replay,
 * cleanup) and /api/v1/webhooks/subscriptions (where events go: create, change, delete, rotate
 * the secret, recover, test). Bull Board (`bull-board/bull-board.imports.ts`) and the retention
 * worker (RetentionWorkerModule) are mounted by the API and worker roots. Metrics live in metrics/,
 * the circuit breaker in circuit-breaker/, alerts in alerts/.
 */
@Module({
  imports: [
    QueueModule,
    OutboxModule,
    AuditModule,
    CircuitBreakerModule,
    AdminAuthModule,
    RetentionModule,
    SubscriptionsModule,
    SecurityModule,
    DeliveryModule,
  ],
  controllers: [QueueController, DeliveriesController, SubscriptionsController],
  providers: [
    QueueStatsService,
    DeliveryQueryService,
    DeliveryActionsService,
    ReplayService,
    SubscriptionsService,
    SubscriptionTestService,
  ],
  // The console (console/) reads and acts through these same services.
  exports: [QueueStatsService, DeliveryQueryService, DeliveryActionsService, ReplayService, SubscriptionsService, SubscriptionTestService],
})
export class OperationsModule {}
