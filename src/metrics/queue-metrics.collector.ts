import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Cluster } from 'ioredis';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { CircuitBreakerService, CircuitState } from '../circuit-breaker/circuit-breaker.service';
import { WebhookQueueService } from '../queue/webhook-queue.service';
import { clusterState } from '../redis/cluster-state';
import { REDIS, RedisClient } from '../redis/redis.module';
import { MetricsService } from './metrics.service';

const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/**
 * Gauges read when Prometheus scrapes: the delivery queue's depth by state (BullMQ), whether it
 * is paused, the outbox lag and the state of every circuit. A source that cannot be read leaves
 * its gauge empty for that scrape instead of failing the whole scrape.
 */
@Injectable()
export class QueueMetricsCollector {
  private readonly logger = new Logger(QueueMetricsCollector.name);

  constructor(
    metrics: MetricsService,
    private readonly queue: WebhookQueueService,
    private readonly circuits: CircuitBreakerService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(REDIS) redis: RedisClient,
  ) {
    const registers = [metrics.registry];
    // prom-client calls collect() with `this` bound to the gauge, so the collector is reached through `self`.
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- see above: `this` inside collect() is the gauge
    const self = this;
    new Gauge({
      name: 'bridge_queue_jobs',
      help: 'Jobs in each delivery queue partition by BullMQ state',
      labelNames: ['queue', 'state'] as const,
      registers,
      async collect() {
        this.reset();
        const perPartition = await self.read('queue depth', () => self.queue.countsPerPartition());
        for (const [p, counts] of (perPartition ?? []).entries())
          for (const [state, n] of Object.entries(counts)) this.set({ queue: self.queue.partitions[p]?.name ?? String(p), state }, n);
      },
    });
    new Gauge({
      name: 'bridge_queue_paused',
      help: '1 while the delivery queue is paused by an operator',
      registers,
      async collect() {
        this.reset();
        const paused = await self.read('queue paused', () => self.queue.isPaused());
        if (paused !== undefined) this.set(paused ? 1 : 0);
      },
    });
    new Gauge({
      name: 'bridge_outbox_lag_seconds',
      help: 'Age of the oldest event committed and neither claimed by a worker nor seen in the queue by the relay (status pending); 0 when none',
      registers,
      async collect() {
        this.reset();
        const lag = await self.read('outbox lag', () => self.outboxLag());
        if (lag !== undefined) this.set(lag);
      },
    });
    if (redis instanceof Cluster)
      new Gauge({
        name: 'bridge_redis_cluster_nodes',
        help: 'Redis Cluster nodes known to this process by role, and (role="ok") 1 while the cluster serves every slot',
        labelNames: ['role'] as const,
        registers,
        async collect() {
          this.reset();
          this.set({ role: 'master' }, redis.nodes('master').length);
          this.set({ role: 'replica' }, redis.nodes('slave').length);
          const state = await self.read('cluster state', () => clusterState(redis));
          this.set({ role: 'ok' }, state ? 1 : 0);
        },
      });
    new Gauge({
      name: 'bridge_circuit_state',
      help: 'Circuit of each delivery target: 0 closed, 1 half-open, 2 open',
      labelNames: ['target'] as const,
      registers,
      async collect() {
        this.reset();
        const circuits = await self.read('circuits', () => self.circuits.list());
        for (const c of circuits ?? []) this.set({ target: c.target }, CIRCUIT_VALUE[c.state]);
      },
    });
  }

  private async outboxLag(): Promise<number> {
    const [row] = await this.dataSource.query<{ lag: number }[]>(
      `SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS lag FROM webhook_queue WHERE status = 'pending'`,
    );
    // An aggregate without GROUP BY always answers one row.
    if (!row) throw new Error('The outbox lag query returned no row');
    return row.lag; // ::float: pg answers a JS number
  }

  private async read<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      this.logger.debug({ err: error }, `Metrics: could not read ${what}`);
      return undefined;
    }
  }
}
