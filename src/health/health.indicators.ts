import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { Cluster } from 'ioredis';
import { DataSource } from 'typeorm';
import { withTimeout } from '../common/async/with-timeout';
import { ClusterState, clusterState, isClusterState } from '../redis/cluster-state';
import { REDIS, RedisClient } from '../redis/redis.module';

const CHECK_TIMEOUT_MS = 2000;

/** Postgres and Redis round trips, each reported with its latency. */
@Injectable()
export class DependencyIndicators {
  constructor(
    private readonly health: HealthIndicatorService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  database() {
    return this.timed('database', () => this.dataSource.query('SELECT 1'));
  }

  /** One round trip; on Redis Cluster also the cluster's state (down unless `ok`) and its masters and replicas. */
  redisPing() {
    const redis = this.redis;
    if (!(redis instanceof Cluster)) return this.timed('redis', () => redis.ping());
    return this.timed('redis', () => clusterState(redis));
  }

  private async timed<const K extends string>(key: K, probe: () => Promise<unknown>) {
    const indicator = this.health.check(key);
    const started = performance.now();
    try {
      const details = await withTimeout(probe(), CHECK_TIMEOUT_MS);
      const latency: { latency_ms: number; cluster?: ClusterState } = { latency_ms: Math.round((performance.now() - started) * 10) / 10 };
      if (isClusterState(details)) latency.cluster = details;
      return indicator.up(latency);
    } catch (error) {
      return indicator.down({ latency_ms: Math.round(performance.now() - started), message: describe(error) });
    }
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\/\/[^@\s]*@/g, '//[redacted]@').slice(0, 200);
}
