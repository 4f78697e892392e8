import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { AppConfig, runsApi } from '../config/app-config';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { QueueMetricsCollector } from './queue-metrics.collector';
import { WorkerMetricsServer } from './worker-metrics.server';

/**
 * Prometheus metrics at `/metrics` (bearer ADMIN_TOKEN). Global: delivery, the signature guard
 * and the incoming callback controllers record through MetricsService.
 */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers: Provider[] = [MetricsService, QueueMetricsCollector];
    if (!runsApi(config) && config.metrics.workerPort > 0) providers.push(WorkerMetricsServer);
    return { module: MetricsModule, controllers: [MetricsController], providers, exports: [MetricsService] };
  }
}
