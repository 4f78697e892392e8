import { Module } from '@nestjs/common';
import { CircuitBreakerModule } from '../circuit-breaker/circuit-breaker.module';
import { AdminAuthModule } from '../common/guards/admin-auth.module';
import { QueueModule } from '../queue/queue.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { QueueMetricsCollector } from './queue-metrics.collector';
import { WorkerMetricsServer } from './worker-metrics.server';

/**
 * The Prometheus metrics of this process: delivery, the signature guard and the incoming callback
 * interceptor record through MetricsService; gauges read on scrape live in QueueMetricsCollector.
 * Where they are served depends on the role: MetricsApiModule or WorkerMetricsModule.
 */
@Module({
  imports: [QueueModule, CircuitBreakerModule],
  providers: [MetricsService, QueueMetricsCollector],
  exports: [MetricsService],
})
export class MetricsModule {}

/** `GET /metrics` on the API's HTTP server (bearer ADMIN_TOKEN). */
@Module({
  imports: [MetricsModule, AdminAuthModule],
  controllers: [MetricsController],
})
export class MetricsApiModule {}

/**
 * A worker-only process has no HTTP server, but its delivery counters live in it: `GET /metrics`
 * (same bearer ADMIN_TOKEN) on WORKER_METRICS_PORT. Imported by the `worker` role when the port is set.
 */
@Module({
  imports: [MetricsModule],
  providers: [WorkerMetricsServer],
})
export class WorkerMetricsModule {}
