import type { RedisOptions } from 'bullmq';
import type { AppConfig } from '../config/app-config';

/** BullMQ connection options from REDIS_URL. */
export function bullConnection(config: AppConfig, overrides: RedisOptions = {}): RedisOptions {
  return {
    url: config.redis.url,
    connectTimeout: 5000,
    // Closing while Redis is unreachable must not leave ioredis's disconnect timer behind (redis/ioredis#1247).
    disconnectTimeout: 0,
    retryStrategy: (times: number) => Math.min(times * 250, 5000),
    ...overrides,
  };
}
