import { DynamicModule, Module, Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { ThrottlingModule } from '../common/throttling/throttling.module';
import { AppConfig } from '../config/app-config';
import { HealthModule } from '../health/health.module';
import { MetricsModule } from '../metrics/metrics.module';
import { QueueModule } from '../queue/queue.module';
import { SecurityModule } from '../security/security.module';
import { TriggersModule } from '../triggers/triggers.module';
import { ApprovalsService } from './approvals.service';
import { CallbackAuditInterceptor } from './callback-audit.interceptor';
import { CallbackHealthService } from './callback-health.service';
import { CallbackIdempotencyService } from './callback-idempotency.service';
import { CallbackRepository } from './callback.repository';
import { ErrorNotificationsService } from './error-notifications.service';
import { N8nCallbacksController } from './n8n-callbacks.controller';
import { ProcessedCallback } from './processed-callback.entity';
import { TestEndpointController } from './test-endpoint.controller';
import { WorkflowErrorReport } from './workflow-error-report.entity';
import { WorkflowExecutionRepository } from './workflow-execution.repository';
import { WorkflowExecutionsService } from './workflow-executions.service';
import { WorkflowStatusWriter } from './workflow-status.writer';

/**
 * Where n8n's callbacks land: /api/v1/webhooks/n8n/* (and the opt-in /api/v1/webhooks/test), rate-limited
 * (ThrottlingModule), signature-checked (SecurityModule), audited and counted (AuditModule, MetricsModule).
 */
@Module({})
export class WebhookResponsesModule {
  static forRoot(config: AppConfig): DynamicModule {
    const controllers: Type[] = [N8nCallbacksController];
    if (config.webhook.testEndpointEnabled) controllers.push(TestEndpointController);
    return {
      module: WebhookResponsesModule,
      imports: [
        TypeOrmModule.forFeature([ProcessedCallback, WorkflowErrorReport]),
        ThrottlingModule,
        SecurityModule,
        AuditModule,
        MetricsModule,
        QueueModule,
        TriggersModule,
        HealthModule,
      ],
      controllers,
      providers: [
        CallbackRepository,
        WorkflowExecutionRepository,
        CallbackIdempotencyService,
        ApprovalsService,
        WorkflowExecutionsService,
        ErrorNotificationsService,
        CallbackHealthService,
        CallbackAuditInterceptor,
        WorkflowStatusWriter,
      ],
    };
  }
}
