import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ServiceUnavailableError } from '../../common/errors/app-errors';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { hashedKey } from '../../redis/hashed-key';
import { REDIS, RedisClient } from '../../redis/redis.module';

/** A signed-in operator, as stored in Redis. */
export interface ConsoleSession {
  user: string;
  /** The CSRF token every state-changing form of this session carries. */
  csrf: string;
  createdAt: string;
  expiresAt: string;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Console sessions in Redis under `${QUEUE_PREFIX}:console:session:`, keyed by a hash of the
 * cookie's random token (the token itself is stored nowhere), each with CONSOLE_SESSION_TTL_MINUTES
 * as its TTL: the expiry is the server's, and signing out deletes the key, so a copied cookie
 * stops working everywhere at once.
 */
@Injectable()
export class ConsoleSessions {
  private readonly prefix: string;
  private readonly ttlMs: number;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = `${config.redis.queuePrefix}:console:session:`;
    this.ttlMs = config.console.sessionTtlMs;
  }

  get ttlSeconds(): number {
    return Math.floor(this.ttlMs / 1000);
  }

  /** A new session (a new token at every sign-in: no fixation); answers the cookie's token. */
  async create(user: string): Promise<{ token: string; session: ConsoleSession }> {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    const session: ConsoleSession = {
      user,
      csrf: randomBytes(32).toString('base64url'),
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.ttlMs).toISOString(),
    };
    await this.unavailableAsError(this.redis.set(this.key(token), JSON.stringify(session), 'PX', this.ttlMs));
    return { token, session };
  }

  /** The live session of a token, or undefined (unknown, expired, signed out, or not a token at all). */
  async find(token: string | undefined): Promise<ConsoleSession | undefined> {
    if (token === undefined || !TOKEN.test(token)) return undefined;
    const stored = await this.unavailableAsError(this.redis.get(this.key(token)));
    return stored ? (JSON.parse(stored) as ConsoleSession) : undefined;
  }

  async destroy(token: string | undefined): Promise<void> {
    if (token === undefined || !TOKEN.test(token)) return;
    await this.unavailableAsError(this.redis.del(this.key(token)));
  }

  private key(token: string): string {
    return hashedKey(this.prefix, token);
  }

  private async unavailableAsError<T>(command: Promise<T>): Promise<T> {
    try {
      return await command;
    } catch {
      throw new ServiceUnavailableError('Console sessions are unavailable (Redis does not answer); retry shortly');
    }
  }
}
