import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module, Provider } from '@nestjs/common';
import { AdminAuthModule } from '../common/guards/admin-auth.module';
import { ThrottlingModule } from '../common/throttling/throttling.module';
import { AppConfig, runsWorker } from '../config/app-config';
import { CircuitBreakerModule } from '../delivery/circuit-breaker.module';
import { MAINTENANCE_QUEUE } from '../queue/queue.constants';
import { bullBoardImports } from './bull-board/bull-board.imports';
import { CleanupService } from './cleanup.service';
import { DeliveriesController } from './deliveries.controller';
import { DeliveryActionsService } from './delivery-actions.service';
import { DeliveryQueryService } from './delivery-query.service';
import { QueueStatsService } from './queue-stats.service';
import { QueueController } from './queue.controller';
import { ReplayService } from './replay.service';
import { MaintenanceQueueService } from './retention/maintenance-queue.service';
import { RetentionWorker } from './retention/retention.worker';

/**
 * Running the pipeline: the admin API under /api/v1/webhooks/queue, Bull Board at /admin/queues,
 * the incoming rate limit (ThrottlingModule), the admin authentication limiter (AdminAuthModule,
 * global: AdminTokenGuard needs it wherever it is used) and the daily retention job (worker role).
 * Metrics live in MetricsModule, the circuit breaker in delivery/, alerts in operations/alerts.
 */
@Module({})
export class OperationsModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers: Provider[] = [QueueStatsService, DeliveryQueryService, DeliveryActionsService, ReplayService, CleanupService, MaintenanceQueueService];
    if (runsWorker(config)) providers.push(RetentionWorker);
    return {
      module: OperationsModule,
      imports: [BullModule.registerQueue({ name: MAINTENANCE_QUEUE }), CircuitBreakerModule, ThrottlingModule, AdminAuthModule, ...bullBoardImports(config)],
      controllers: [QueueController, DeliveriesController],
      providers,
      exports: [CleanupService, MaintenanceQueueService],
    };
  }
}
