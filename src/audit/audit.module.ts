import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditLogService } from './audit-log.service';
import { RetryHistory } from './retry-history.entity';
import { WebhookLog } from './webhook-log.entity';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([WebhookLog, RetryHistory])],
  providers: [AuditLogService],
  exports: [AuditLogService, TypeOrmModule],
})
export class AuditModule {}
