import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import type { RedisClient } from '../../redis/redis.module';

/**
 * Fixed window counter per key, plus a block key once the limit is passed (blocked for
 * `blockDuration`). KEYS = counter, block; ARGV = ttl ms, limit, block ms.
 * Returns {hits, ms until the window resets, blocked (0|1), ms until the block ends}.
 */
const INCREMENT_SCRIPT = `local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then return {hits, ttl, 1, blocked} end
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return {hits, ttl, 1, tonumber(ARGV[3])}
end
return {hits, ttl, 0, 0}`;

type ThrottleRedis = RedisClient & {
  throttleIncrement(
    counter: string,
    block: string,
    ttlMs: number,
    limit: number,
    blockMs: number,
  ): Promise<[number, number, number, number]>;
};

/**
 * @nestjs/throttler storage in Redis, so the limit holds across every API process. Times are
 * returned in seconds, as the guard expects (it sends them as Retry-After). When Redis cannot
 * answer, the request is let through (the signature guard behind it fails closed on its own).
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger(RedisThrottlerStorage.name);
  private readonly redis: ThrottleRedis;

  constructor(
    redis: RedisClient,
    private readonly prefix: string,
  ) {
    this.redis = redis as ThrottleRedis;
    if (!('throttleIncrement' in redis)) redis.defineCommand('throttleIncrement', { numberOfKeys: 2, lua: INCREMENT_SCRIPT });
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    // The counter and the block key go to one script: a hash tag keeps them in one Redis Cluster slot.
    const base = `${this.prefix}${throttlerName}:{${key.replace(/[{}]/g, '')}}`;
    try {
      const [hits, ttlMs, blocked, blockMs] = await this.redis.throttleIncrement(
        `${base}:hits`,
        `${base}:block`,
        ttl,
        limit,
        blockDuration,
      );
      return {
        totalHits: hits,
        timeToExpire: seconds(ttlMs),
        isBlocked: blocked === 1,
        timeToBlockExpire: blocked === 1 ? seconds(blockMs) : 0,
      };
    } catch (error) {
      this.logger.warn({ err: error }, 'Rate limit store unavailable; request let through');
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
  }
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
