import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CircuitBreakerModule } from '../circuit-breaker/circuit-breaker.module';
import { AuthFailureLimiter } from '../common/guards/auth-failure-limiter.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DeliveryModule } from '../delivery/delivery.module';
import { OperationsModule } from '../operations/operations.module';
import { OutboxModule } from '../outbox/outbox.module';
import { QueueModule } from '../queue/queue.module';
import { REDIS, RedisClient } from '../redis/redis.module';
import { SecurityModule } from '../security/security.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { ConsoleCsrfGuard } from './auth/console-csrf.guard';
import { ConsoleSessionGuard } from './auth/console-session.guard';
import { ConsoleSessions } from './auth/console-sessions';
import { SignInController } from './auth/sign-in.controller';
import { SIGN_IN_LIMITER, SignInService } from './auth/sign-in.service';
import { CallbacksController } from './callbacks/callbacks.controller';
import { DeliveriesController } from './deliveries/deliveries.controller';
import { JourneyReader } from './deliveries/journey.reader';
import { OverviewController } from './overview/overview.controller';
import { OverviewReader } from './overview/overview.reader';
import { AssetsController } from './render/assets.controller';
import { ConsoleAssets } from './render/console-assets';
import { ConsoleExceptionFilter } from './render/console-exception.filter';
import { ConsoleViews } from './render/console-views';
import { SubscriptionsController } from './subscriptions/subscriptions.controller';

/**
 * The delivery console at /console: server-rendered pages for operators (sign-in with
 * ADMIN_USER / ADMIN_PASSWORD, overview, deliveries, one event's journey, callbacks,
 * subscriptions). It reads and acts through the services of the admin JSON API (operations/)
 * and the repositories that own each table; it holds no query of its own. Mounted by the API
 * root only when both credentials are set (`consoleImports`).
 */
@Module({
  imports: [
    OperationsModule,
    QueueModule,
    OutboxModule,
    AuditModule,
    CircuitBreakerModule,
    SubscriptionsModule,
    SecurityModule,
    DeliveryModule,
  ],
  controllers: [AssetsController, SignInController, OverviewController, DeliveriesController, CallbacksController, SubscriptionsController],
  providers: [
    // The admin API's services come from OperationsModule: the same instances the JSON controllers use.
    ConsoleAssets,
    ConsoleViews,
    ConsoleSessions,
    ConsoleSessionGuard,
    ConsoleCsrfGuard,
    ConsoleExceptionFilter,
    SignInService,
    OverviewReader,
    JourneyReader,
    {
      // The admin limiter (one Redis window per address, shared with the bearer token and Bull Board) with the console's limit.
      provide: SIGN_IN_LIMITER,
      inject: [REDIS, APP_CONFIG],
      useFactory: (redis: RedisClient, config: AppConfig) =>
        new AuthFailureLimiter(redis, {
          ...config,
          admin: { ...config.admin, authFailuresPerMinute: config.console.signInFailuresPerMinute },
        }),
    },
  ],
})
export class ConsoleModule {}

/** The console, for the API root: nothing (404) unless ADMIN_USER and ADMIN_PASSWORD are both set, as for Bull Board. */
export function consoleImports(config: AppConfig): DynamicModule[] {
  if (!config.admin.user || !config.admin.password) return [];
  return [{ module: ConsoleModule }];
}
