import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { APP_CONFIG, AppConfig, RedisClusterConfig } from '../config/app-config';

export const REDIS = Symbol('REDIS');

/** A Redis connection of the app: one server (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES). */
export type RedisClient = Redis | Cluster;

const QUIT_GRACE_MS = 1000;

/**
 * A shared ioredis client for small commands (health pings, replay keys, rate-limit counters).
 * It does not queue commands while disconnected, so callers learn at once that Redis is down.
 * Auto-pipelining sends every command issued in the same event-loop tick in one write: under
 * load the per-request rate-limit and replay checks of many requests share one round trip.
 */
export function createRedisClient(url: string, overrides: Record<string, unknown> = {}): Redis {
  return new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    // A graceful close goes through QUIT (see closeRedisClient), so `disconnect()` is always a hard
    // close. ioredis arms a `disconnectTimeout` timer on every disconnect and only clears it when the
    // socket emits 'close'; while Redis is down the socket is already gone, so that timer (2 s by
    // default) would keep the process alive after shutdown (redis/ioredis#1247).
    disconnectTimeout: 0,
    enableAutoPipelining: true,
    ...overrides,
  });
}

/**
 * An ioredis Cluster over REDIS_CLUSTER_NODES. `redisOptions` apply to the connection to each node
 * (the same as a single client's); slots are refreshed on MOVED and on a failover, and commands
 * issued while the topology is being refreshed wait for it instead of failing.
 */
export function createClusterClient(
  cluster: RedisClusterConfig,
  redisOptions: RedisOptions = {},
  clusterOptions: Partial<ClusterOptions> = {},
): Cluster {
  return new Cluster(cluster.nodes, {
    clusterRetryStrategy: (times) => Math.min(times * 200, 2000),
    slotsRefreshTimeout: 2000,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    ...clusterOptions,
    redisOptions: {
      connectTimeout: 2000,
      disconnectTimeout: 0,
      username: cluster.username,
      password: cluster.password,
      ...(cluster.tls && { tls: {} }),
      ...redisOptions,
    },
  });
}

/** The app's client: a Cluster when REDIS_CLUSTER_NODES is set, one server otherwise. Same options either way. */
export function createAppRedisClient(config: AppConfig): RedisClient {
  if (!config.redis.cluster) return createRedisClient(config.redis.url);
  return createClusterClient(config.redis.cluster, { maxRetriesPerRequest: 1 }, { enableOfflineQueue: false, enableAutoPipelining: true });
}

/**
 * Closes a client without leaving anything on the event loop: QUIT when connected (waits for
 * pending replies, bounded by `graceMs`), otherwise a hard disconnect that also cancels the
 * pending reconnection timer.
 */
export async function closeRedisClient(redis: RedisClient, graceMs = QUIT_GRACE_MS): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const quitted = await Promise.race([
      redis.quit().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (quitted) return;
  }
  redis.disconnect();
}

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}
  async onApplicationShutdown(): Promise<void> {
    await closeRedisClient(this.redis);
  }
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        const client = createAppRedisClient(config);
        client.on('error', () => undefined); // reported through health checks, not as unhandled errors
        return client;
      },
    },
    RedisCloser,
  ],
  exports: [REDIS],
})
export class RedisModule {}
