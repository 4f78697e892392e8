import { Inject, Injectable, Logger } from '@nestjs/common';
import { withTimeout } from '../common/async/with-timeout';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { REDIS, RedisClient } from '../redis/redis.module';

/** How long a replay check may wait for Redis before the request is refused with 503. */
const REDIS_TIMEOUT_MS = 2000;

/** Returns the value already stored, or stores ARGV[1] for ARGV[2] seconds and returns nil: one round trip, atomic. */
const CLAIM_SCRIPT = `local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false`;

/**
 * - `first`: this signed content was never accepted before;
 * - `repeat`: the identical request again, carrying the same `X-Webhook-Id` as the accepted one
 *   (n8n retrying the same bytes): the route's idempotency store answers it;
 * - `replayed`: the identical request again without that id (none, or another one): refused.
 */
export type ReplayVerdict = 'first' | 'repeat' | 'replayed';

type ReplayRedis = RedisClient & { replayClaim(key: string, marker: string, ttlSeconds: number): Promise<string | null> };

/**
 * Remembers which signed contents were accepted, and with which delivery id. One Redis key per
 * accepted digest under `<QUEUE_PREFIX>:replay:`, kept 2×tolerance: a request is only valid while
 * its timestamp is within ±tolerance of now, so the key outlives every possible replay.
 */
@Injectable()
export class ReplayGuardService {
  private readonly logger = new Logger(ReplayGuardService.name);
  private readonly prefix: string;
  private readonly ttlSeconds: number;
  private readonly redis: ReplayRedis;

  constructor(@Inject(REDIS) redis: RedisClient, @Inject(APP_CONFIG) config: AppConfig) {
    // EVALSHA (the script is sent once per connection, not with every request).
    if (!('replayClaim' in redis)) redis.defineCommand('replayClaim', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
    this.redis = redis as ReplayRedis;
    this.prefix = `${config.redis.queuePrefix}:replay:${config.webhook.scheme}:`;
    this.ttlSeconds = 2 * config.webhook.toleranceSeconds;
  }

  /** Records the digest on first sight. Rejects when Redis cannot answer (callers fail closed). */
  async check(digest: string, id?: string): Promise<ReplayVerdict> {
    const marker = id === undefined ? '-' : `id:${id}`;
    const current = await redisCall(this.redis.replayClaim(this.key(digest), marker, this.ttlSeconds));
    if (current === null) return 'first';
    return id !== undefined && current === marker ? 'repeat' : 'replayed';
  }

  /** Forgets a digest (its first request ended in a server error, so nothing was applied): the same bytes may be retried. */
  async release(digest: string): Promise<void> {
    try {
      await redisCall(this.redis.del(this.key(digest)));
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not release a replay key; an identical retry will be refused until it expires');
    }
  }

  key(digest: string): string {
    return `${this.prefix}${digest}`;
  }
}

function redisCall<T>(promise: Promise<T>): Promise<T> {
  return withTimeout(promise, REDIS_TIMEOUT_MS, `Redis did not answer within ${REDIS_TIMEOUT_MS} ms`);
}
