import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditLogService } from './audit-log.service';
import { AuditPartitionRepository } from './audit-partition.repository';
import { RetryHistory } from './retry-history.entity';
import { RetryHistoryRepository } from './retry-history.repository';
import { WebhookLog } from './webhook-log.entity';
import { WebhookLogRepository } from './webhook-log.repository';

@Module({
  imports: [TypeOrmModule.forFeature([WebhookLog, RetryHistory])],
  providers: [AuditLogService, WebhookLogRepository, RetryHistoryRepository, AuditPartitionRepository],
  exports: [AuditLogService, WebhookLogRepository, RetryHistoryRepository, AuditPartitionRepository, TypeOrmModule],
})
export class AuditModule {}
