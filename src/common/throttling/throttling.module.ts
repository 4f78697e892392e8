import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { REDIS, RedisClient } from '../../redis/redis.module';
import { INCOMING_THROTTLER, IncomingRateLimitGuard } from './incoming-rate-limit.guard';
import { RedisThrottlerStorage } from './redis-throttler.storage';

const MINUTE_MS = 60_000;

/**
 * Registers @nestjs/throttler with the `incoming` throttler: INCOMING_RATE_LIMIT_PER_MINUTE
 * per source address (0 = off), counted in Redis. Nothing is limited unless a route uses
 * `@IncomingRateLimit()` (no global guard: the admin API and health checks are not throttled);
 * a module whose controllers use it imports this module.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG, REDIS],
      useFactory: (config: AppConfig, redis: RedisClient) => ({
        storage: new RedisThrottlerStorage(redis, `${config.redis.queuePrefix}:throttle:`),
        errorMessage: `Too many requests from this address (limit ${config.rateLimits.incomingPerMinute} per minute)`,
        throttlers: [
          {
            name: INCOMING_THROTTLER,
            ttl: MINUTE_MS,
            limit: Math.max(1, config.rateLimits.incomingPerMinute),
            skipIf: () => config.rateLimits.incomingPerMinute === 0,
            // One budget per source address for all incoming routes together (not per route).
            generateKey: (_context, tracker, name) => `${name}:${tracker}`,
          },
        ],
      }),
    }),
  ],
  providers: [IncomingRateLimitGuard],
  exports: [IncomingRateLimitGuard],
})
export class ThrottlingModule {}
