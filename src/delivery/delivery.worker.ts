import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DELIVERY_QUEUE, DeliveryJobData } from '../queue/queue.constants';
import { bullConnection } from '../queue/queue.connection';
import { REDIS } from '../redis/redis.module';
import { DeliveryProcessor } from './delivery.processor';
import { RetryableDeliveryError } from './delivery.errors';
import { retryDelay } from './retry-policy';

/**
 * Runs the BullMQ worker of the delivery queue (in the `all` and `worker` roles). Built here
 * rather than with a decorator because concurrency, retry delays and the backoff strategy
 * come from the validated configuration.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorker.name);
  private worker?: Worker<DeliveryJobData>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly processor: DeliveryProcessor,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  onApplicationBootstrap(): void {
    const delays = this.config.webhook.retryDelaysMs;
    this.worker = new Worker<DeliveryJobData>(DELIVERY_QUEUE, (job, token) => this.processor.process(job, token), {
      connection: bullConnection(this.config, { maxRetriesPerRequest: null }),
      prefix: this.config.redis.queuePrefix,
      concurrency: this.config.webhook.concurrency,
      // A killed worker's job is picked up again by another worker, up to 5 times. The lock is
      // renewed every lockDuration / 2 while an attempt runs, however long the receiver takes; once
      // a worker dies its lock expires within WORKER_LOCK_MS and the next stall check (every half
      // of it) re-runs the job: redelivery within 1.5 × WORKER_LOCK_MS (docs/events.md).
      maxStalledCount: 5,
      lockDuration: this.config.webhook.workerLockMs,
      stalledInterval: Math.round(this.config.webhook.workerLockMs / 2),
      // WEBHOOK_RATE_LIMIT_PER_SECOND: a limit shared by every worker process (kept in Redis by BullMQ).
      ...(this.config.rateLimits.outgoingPerSecond > 0 && { limiter: { max: this.config.rateLimits.outgoingPerSecond, duration: 1000 } }),
      settings: {
        backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) =>
          err instanceof RetryableDeliveryError && err.delayMs !== undefined ? err.delayMs : retryDelay(attemptsMade, delays),
      },
    });
    this.worker.on('error', (err) => this.logger.warn({ err }, 'Delivery worker error'));
  }

  get running(): boolean {
    return !!this.worker?.isRunning();
  }

  /**
   * Lets in-flight deliveries finish (each bounded by WEBHOOK_TIMEOUT_MS) before the database
   * closes. With Redis unreachable a graceful `close()` never returns (BullMQ waits for a
   * connection) and no job could complete anyway: then the worker is closed at once.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close(this.redis.status !== 'ready');
  }
}
