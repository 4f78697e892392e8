import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { AuditModule } from './audit/audit.module';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter';
import { HttpBodyModule } from './common/http/http-body.module';
import { loggerOptions } from './common/logging/logger.options';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DeliveryModule } from './delivery/delivery.module';
import { DomainModule } from './domain/domain.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { OperationsModule } from './operations/operations.module';
import { QueueModule } from './queue/queue.module';
import { RedisModule } from './redis/redis.module';
import { SecurityModule } from './security/security.module';
import { TriggersModule } from './triggers/triggers.module';
import { WebhookResponsesModule } from './webhook-responses/webhook-responses.module';

/** The root module, built from the validated configuration (the role decides which parts run). */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerOptions(config)),
        DatabaseModule,
        RedisModule,
        HttpBodyModule,
        AuditModule,
        SecurityModule,
        HealthModule,
        DomainModule,
        QueueModule,
        TriggersModule,
        DeliveryModule.forRoot(config),
        MetricsModule.forRoot(config),
        OperationsModule.forRoot(config),
        WebhookResponsesModule.forRoot(config),
      ],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
    };
  }
}
