import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CircuitBreakerModule } from '../circuit-breaker/circuit-breaker.module';
import { AdminAuthModule } from '../common/guards/admin-auth.module';
import { OutboxModule } from '../outbox/outbox.module';
import { QueueModule } from '../queue/queue.module';
import { DeliveriesController } from './deliveries.controller';
import { DeliveryActionsService } from './delivery-actions.service';
import { DeliveryQueryService } from './delivery-query.service';
import { QueueStatsService } from './queue-stats.service';
import { QueueController } from './queue.controller';
import { ReplayService } from './replay.service';
import { RetentionModule } from './retention/retention.module';

/**
 * Running the pipeline: the admin API under /api/v1/webhooks/queue (stats, deliveries, replay,
 * cleanup). Bull Board (`bull-board/bull-board.imports.ts`) and the retention worker
 * (RetentionWorkerModule) are mounted by the API and worker roots. Metrics live in metrics/,
 * the circuit breaker in circuit-breaker/, alerts in alerts/.
 */
@Module({
  imports: [QueueModule, OutboxModule, AuditModule, CircuitBreakerModule, AdminAuthModule, RetentionModule],
  controllers: [QueueController, DeliveriesController],
  providers: [QueueStatsService, DeliveryQueryService, DeliveryActionsService, ReplayService],
})
export class OperationsModule {}
