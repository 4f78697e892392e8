import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AuditModule } from '../../audit/audit.module';
import { OutboxModule } from '../../outbox/outbox.module';
import { MAINTENANCE_QUEUE } from '../../queue/queue.constants';
import { QueueModule } from '../../queue/queue.module';
import { CallbackRepository } from '../../webhook-responses/callback.repository';
import { CleanupService } from '../cleanup.service';
import { AuditPartitionsScheduler } from './audit-partitions.scheduler';
import { AuditPartitionsService } from './audit-partitions.service';
import { MaintenanceQueueService } from './maintenance-queue.service';
import { RetentionWorker } from './retention.worker';

/**
 * Cleanup of old rows (and of the audit tables' day partitions) and the maintenance queue that
 * schedules it; used by the admin API and the retention worker.
 */
@Module({
  imports: [BullModule.registerQueue({ name: MAINTENANCE_QUEUE }), QueueModule, OutboxModule, AuditModule],
  providers: [CleanupService, MaintenanceQueueService, CallbackRepository, AuditPartitionsService],
  exports: [CleanupService, MaintenanceQueueService, AuditPartitionsService],
})
export class RetentionModule {}

/**
 * The maintenance queue's worker (daily retention job) and the check of the audit partitions
 * ahead; imported by the worker root only (roles `all` and `worker`).
 */
@Module({
  imports: [RetentionModule, QueueModule],
  providers: [RetentionWorker, AuditPartitionsScheduler],
})
export class RetentionWorkerModule {}
