import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { ConnectionOptions, RedisOptions } from 'bullmq';
import type { Cluster } from 'ioredis';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { closeRedisClient, createClusterClient } from '../redis/redis.module';

/** Options every BullMQ connection of the app shares, on one Redis or on each cluster node. */
function baseOptions(overrides: RedisOptions): RedisOptions {
  return {
    connectTimeout: 5000,
    // Closing while Redis is unreachable must not leave ioredis's disconnect timer behind (redis/ioredis#1247).
    disconnectTimeout: 0,
    retryStrategy: (times: number) => Math.min(times * 250, 5000),
    ...overrides,
  };
}

/**
 * BullMQ's connections. On one Redis they are options (every queue and worker opens and closes
 * its own connection, from REDIS_URL). On Redis Cluster BullMQ needs a Cluster instance, which
 * it never closes itself: the ones made here are closed at shutdown, after the workers
 * (closed in `beforeApplicationShutdown`).
 */
@Injectable()
export class QueueConnections implements OnApplicationShutdown {
  private readonly clusters: Cluster[] = [];
  private producer?: ConnectionOptions;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get cluster(): boolean {
    return this.config.redis.cluster !== undefined;
  }

  /**
   * Producers (queues): fail fast while Redis is down (no offline queue), so a publish fails at
   * once and the outbox relay takes over. One connection shared by every queue on a cluster.
   */
  forQueues(): ConnectionOptions {
    return (this.producer ??= this.create({ enableOfflineQueue: false, maxRetriesPerRequest: 1 }));
  }

  /** A worker's own connection (BullMQ adds a blocking one per worker): commands wait for Redis to come back. */
  forWorker(): ConnectionOptions {
    return this.create({ maxRetriesPerRequest: null });
  }

  /**
   * The prefix of queues that are not partitioned (maintenance). On a cluster a queue's keys must
   * share one slot: the prefix becomes a hash tag (`{bridge}`), every such queue on one slot.
   */
  get sharedQueuePrefix(): string {
    return this.cluster ? `{${this.config.redis.queuePrefix}}` : this.config.redis.queuePrefix;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.clusters.splice(0).map((c) => closeRedisClient(c)));
  }

  private create(overrides: RedisOptions): ConnectionOptions {
    const { cluster, url } = this.config.redis;
    if (!cluster) return { url, ...baseOptions(overrides) };
    const { enableOfflineQueue, ...nodeOptions } = overrides;
    const client = createClusterClient(cluster, baseOptions(nodeOptions), {
      ...(enableOfflineQueue === false && { enableOfflineQueue: false }),
    });
    client.on('error', () => undefined); // reported through health checks and the queues' own error events
    this.clusters.push(client);
    return client;
  }
}
