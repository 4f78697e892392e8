import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { loggerOptions } from '../common/logging/logger.options';
import { AppConfig, runsApi, runsWorker } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { WorkerMetricsModule } from '../metrics/metrics.module';
import { RedisModule } from '../redis/redis.module';
import { ApiModule } from './api.module';
import { WorkerModule } from './worker.module';

/**
 * The root module, built from the validated configuration. The role (APP_ROLE) is read here and
 * in `main.ts` only: `api` → ApiModule, `worker` → WorkerModule (+ its own /metrics port when
 * WORKER_METRICS_PORT is set), `all` → both. Feature modules never look at the role.
 */
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
        ...roleModules(config),
      ],
    };
  }
}

function roleModules(config: AppConfig): NonNullable<ModuleMetadata['imports']> {
  const roots = [];
  if (runsApi(config)) roots.push(ApiModule.forRoot(config));
  if (runsWorker(config)) roots.push(WorkerModule);
  // A worker without the API has no HTTP server: its counters get their own port when one is set.
  if (!runsApi(config) && config.metrics.workerPort > 0) roots.push(WorkerMetricsModule);
  return roots;
}
