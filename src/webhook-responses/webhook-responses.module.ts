import { DynamicModule, Module, Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { HealthModule } from '../health/health.module';
import { ApprovalsService } from './approvals.service';
import { CallbackAuditInterceptor } from './callback-audit.interceptor';
import { CallbackHealthService } from './callback-health.service';
import { CallbackIdempotencyService } from './callback-idempotency.service';
import { ErrorNotificationsService } from './error-notifications.service';
import { N8nCallbacksController } from './n8n-callbacks.controller';
import { ProcessedCallback } from './processed-callback.entity';
import { TestEndpointController } from './test-endpoint.controller';
import { WorkflowErrorReport } from './workflow-error-report.entity';
import { WorkflowExecutionsService } from './workflow-executions.service';
import { WorkflowStatusWriter } from './workflow-status.writer';

/** Where n8n's callbacks land: /api/v1/webhooks/n8n/* (and the opt-in /api/v1/webhooks/test). */
@Module({})
export class WebhookResponsesModule {
  static forRoot(config: AppConfig): DynamicModule {
    const controllers: Type[] = [N8nCallbacksController];
    if (config.webhook.testEndpointEnabled) controllers.push(TestEndpointController);
    return {
      module: WebhookResponsesModule,
      imports: [TypeOrmModule.forFeature([ProcessedCallback, WorkflowErrorReport]), HealthModule],
      controllers,
      providers: [CallbackIdempotencyService, ApprovalsService, WorkflowExecutionsService, ErrorNotificationsService, CallbackHealthService, CallbackAuditInterceptor, WorkflowStatusWriter],
    };
  }
}
