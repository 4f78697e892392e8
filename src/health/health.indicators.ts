import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { withTimeout } from '../common/async/with-timeout';
import { REDIS } from '../redis/redis.module';

const CHECK_TIMEOUT_MS = 2000;

/** Postgres and Redis round trips, each reported with its latency. */
@Injectable()
export class DependencyIndicators {
  constructor(
    private readonly health: HealthIndicatorService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  database() {
    return this.timed('database', () => this.dataSource.query('SELECT 1'));
  }

  redisPing() {
    return this.timed('redis', () => this.redis.ping());
  }

  private async timed<const K extends string>(key: K, probe: () => Promise<unknown>) {
    const indicator = this.health.check(key);
    const started = performance.now();
    try {
      await withTimeout(probe(), CHECK_TIMEOUT_MS);
      return indicator.up({ latency_ms: Math.round((performance.now() - started) * 10) / 10 });
    } catch (error) {
      return indicator.down({ latency_ms: Math.round(performance.now() - started), message: describe(error) });
    }
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\/\/[^@\s]*@/g, '//[redacted]@').slice(0, 200);
}
