import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AllExceptionsFilter } from '../common/filters/all-exceptions.filter';
import { HttpBodyModule } from '../common/http/http-body.module';
import { AppConfig } from '../config/app-config';
import { consoleImports } from '../console/console.module';
import { DomainModule } from '../domain/domain.module';
import { HealthModule } from '../health/health.module';
import { MetricsApiModule } from '../metrics/metrics.module';
import { bullBoardImports } from '../operations/bull-board/bull-board.imports';
import { OperationsModule } from '../operations/operations.module';
import { OutboxModule } from '../outbox/outbox.module';
import { TriggersModule } from '../triggers/triggers.module';
import { WebhookResponsesModule } from '../webhook-responses/webhook-responses.module';

/**
 * The HTTP side (roles `api` and `all`): the internal REST API and the events its writes raise,
 * n8n's callbacks, the admin queue API, Bull Board, the delivery console, health, /metrics, one exception filter.
 * Helmet, body reading, validation and Swagger are set up on the app by `configureHttpApp`.
 */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        HttpBodyModule,
        HealthModule,
        DomainModule,
        TriggersModule, // the subscribers that raise events from domain writes
        OutboxModule, // and the outbox relay, which runs in every process
        WebhookResponsesModule.forRoot(config),
        OperationsModule,
        ...bullBoardImports(config),
        ...consoleImports(config), // the delivery console at /console, with ADMIN_USER and ADMIN_PASSWORD
        MetricsApiModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
    };
  }
}
