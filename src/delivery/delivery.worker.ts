import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Worker } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { deliveryQueueName } from '../queue/queue-partitions';
import { DeliveryJobData } from '../queue/queue.constants';
import { QueueConnections } from '../queue/queue.connection';
import { REDIS, RedisClient } from '../redis/redis.module';
import { DeliveryProcessor } from './delivery.processor';
import { RetryableDeliveryError } from './delivery.errors';
import { retryDelay } from './retry-policy';

/**
 * Runs the BullMQ workers of the delivery queue partitions this process consumes
 * (WORKER_PARTITIONS, all by default), in the `all` and `worker` roles. Built here rather than
 * with a decorator because the partitions, concurrency, retry delays and the backoff strategy
 * come from the validated configuration. WEBHOOK_CONCURRENCY is the process's: shared evenly
 * over its partitions; WEBHOOK_RATE_LIMIT_PER_SECOND is the whole system's: shared evenly over
 * every partition (BullMQ keeps one limiter per queue).
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorker.name);
  private workers: Worker<DeliveryJobData>[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly processor: DeliveryProcessor,
    private readonly connections: QueueConnections,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  onApplicationBootstrap(): void {
    const consumed = this.config.queue.workerPartitions;
    this.workers = consumed.map((partition) => this.start(partition, consumed.length));
  }

  private start(partition: number, consumed: number): Worker<DeliveryJobData> {
    const delays = this.config.webhook.retryDelaysMs;
    const { outgoingPerSecond } = this.config.rateLimits;
    const worker = new Worker<DeliveryJobData>(
      deliveryQueueName(partition, this.connections.cluster),
      (job, token) => this.processor.process(job, token),
      {
        connection: this.connections.forWorker(),
        prefix: this.config.redis.queuePrefix,
        concurrency: Math.max(1, Math.ceil(this.config.webhook.concurrency / consumed)),
        // A killed worker's job is picked up again by another worker, up to 5 times. The lock is
        // renewed every lockDuration / 2 while an attempt runs, however long the receiver takes; once
        // a worker dies its lock expires within WORKER_LOCK_MS and the next stall check (every half
        // of it) re-runs the job: redelivery within 1.5 × WORKER_LOCK_MS (docs/events.md).
        maxStalledCount: 5,
        lockDuration: this.config.webhook.workerLockMs,
        stalledInterval: Math.round(this.config.webhook.workerLockMs / 2),
        // WEBHOOK_RATE_LIMIT_PER_SECOND: a limit shared by every worker process (kept in Redis by BullMQ).
        ...(outgoingPerSecond > 0 && {
          limiter: { max: Math.max(1, Math.floor(outgoingPerSecond / this.config.queue.partitions)), duration: 1000 },
        }),
        settings: {
          backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) =>
            err instanceof RetryableDeliveryError && err.delayMs !== undefined ? err.delayMs : retryDelay(attemptsMade, delays),
        },
      },
    );
    worker.on('error', (err) => this.logger.warn({ err, partition }, 'Delivery worker error'));
    return worker;
  }

  get running(): boolean {
    return this.workers.length > 0 && this.workers.every((w) => w.isRunning());
  }

  /**
   * Lets in-flight deliveries finish (each bounded by WEBHOOK_TIMEOUT_MS) before the database
   * closes. With Redis unreachable a graceful `close()` never returns (BullMQ waits for a
   * connection) and no job could complete anyway: then the worker is closed at once.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const force = this.redis.status !== 'ready';
    await Promise.all(this.workers.map((w) => w.close(force)));
  }
}
