import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { REDIS, RedisClient } from '../../redis/redis.module';
import { withTimeout } from '../async/with-timeout';
import { clientAddressKey } from './client-address';

const WINDOW_MS = 60_000;
/** A slow Redis must not hold admin requests: past this the limiter steps aside (fails open). */
const REDIS_TIMEOUT_MS = 500;

/**
 * One fixed window per address. KEYS = failure counter; ARGV = window ms, 1 when this attempt failed.
 * A failure increments (the first one starts the window); any other attempt only reads.
 * Returns {failures in the window, ms until the window ends}.
 */
const ATTEMPT_SCRIPT = `local n
if ARGV[2] == '1' then
  n = redis.call('INCR', KEYS[1])
  if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
else
  n = tonumber(redis.call('GET', KEYS[1]) or '0')
end
if n == 0 then return {0, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}`;

type LimiterRedis = RedisClient & { adminAuthAttempt(key: string, windowMs: number, failed: 0 | 1): Promise<[number, number]> };

export interface AuthVerdict {
  /** The address is over its budget: answer 429, whatever the credentials were. */
  blocked: boolean;
  retryAfterSeconds: number;
}

/** What the bearer guard and the Bull Board middleware need (a fake in unit tests). */
export interface AuthFailureCounter {
  check(ip: string | undefined, failed: boolean): Promise<AuthVerdict>;
}

const ALLOWED: AuthVerdict = { blocked: false, retryAfterSeconds: 0 };

/**
 * Throttles guessing of admin credentials (bearer ADMIN_TOKEN, Basic ADMIN_USER/ADMIN_PASSWORD):
 * at most ADMIN_AUTH_FAILURES_PER_MINUTE failed attempts per source address in a fixed one-minute
 * window that starts at the first failure. Beyond that, every admin request from the address, right
 * credentials included, is refused until the window ends, so a lucky guess is not told apart from
 * a wrong one. One budget per address for every admin credential, counted in Redis so it holds
 * across API processes. Redis unreachable or slow: the limiter steps aside (the credential check
 * itself still applies).
 */
@Injectable()
export class AuthFailureLimiter implements AuthFailureCounter {
  private readonly logger = new Logger(AuthFailureLimiter.name);
  private readonly redis: LimiterRedis;
  private readonly limit: number;
  private readonly prefix: string;

  constructor(@Inject(REDIS) redis: RedisClient, @Inject(APP_CONFIG) config: AppConfig) {
    this.redis = redis as LimiterRedis;
    if (!('adminAuthAttempt' in redis)) redis.defineCommand('adminAuthAttempt', { numberOfKeys: 1, lua: ATTEMPT_SCRIPT });
    this.limit = config.admin.authFailuresPerMinute;
    this.prefix = `${config.redis.queuePrefix}:admin-auth-failures:`;
  }

  /**
   * Records one admin authentication attempt from `ip` (`failed`: credentials were presented and
   * wrong) and says whether to refuse it. The attempt that passes the limit is itself refused.
   */
  async check(ip: string | undefined, failed: boolean): Promise<AuthVerdict> {
    if (this.limit === 0) return ALLOWED;
    const address = clientAddressKey(ip);
    try {
      const [failures, ttlMs] = await withTimeout(
        this.redis.adminAuthAttempt(`${this.prefix}${address}`, WINDOW_MS, failed ? 1 : 0),
        REDIS_TIMEOUT_MS,
        `no answer from Redis within ${REDIS_TIMEOUT_MS} ms`,
      );
      const blocked = failed ? failures > this.limit : failures >= this.limit;
      if (failed && failures === this.limit)
        this.logger.warn(
          { address, limit: this.limit, retry_after_ms: ttlMs },
          'Admin authentication failures reached the limit; this address is refused until its window ends',
        );
      return blocked ? { blocked, retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) } : ALLOWED;
    } catch (error) {
      this.logger.warn({ err: error }, 'Admin authentication limiter unavailable; attempt not counted');
      return ALLOWED;
    }
  }
}
