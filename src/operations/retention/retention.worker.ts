import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import { QueueConnections } from '../../queue/queue.connection';
import { REDIS, RedisClient } from '../../redis/redis.module';
import { MAINTENANCE_QUEUE, RETENTION_JOB, RetentionJobData } from '../../queue/queue.constants';
import { CleanupService } from '../cleanup.service';
import { CleanupResponse } from '../dto/cleanup.dto';
import { MaintenanceQueueService } from './maintenance-queue.service';

/**
 * The maintenance queue's worker (worker role): registers the daily retention job scheduler and
 * runs its jobs through CleanupService. Every worker process upserts the same scheduler id, so
 * the job runs once a day whatever the number of workers.
 */
@Injectable()
export class RetentionWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RetentionWorker.name);
  private worker?: Worker<RetentionJobData, CleanupResponse>;

  constructor(
    private readonly connections: QueueConnections,
    private readonly maintenance: MaintenanceQueueService,
    private readonly cleanup: CleanupService,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  onApplicationBootstrap(): void {
    this.worker = new Worker<RetentionJobData, CleanupResponse>(MAINTENANCE_QUEUE, (job) => this.process(job), {
      connection: this.connections.forWorker(),
      prefix: this.connections.sharedQueuePrefix,
      concurrency: 1,
    });
    this.worker.on('error', (err) => this.logger.warn({ err }, 'Maintenance worker error'));
    this.worker.on('failed', (job, err) => this.logger.error({ err, job: job?.name }, 'Maintenance job failed'));
    // Not awaited: with Redis down at start-up this completes once Redis is back, without holding the boot.
    void this.maintenance
      .scheduleRetention()
      .catch((err: unknown) => this.logger.warn({ err }, 'Could not register the retention schedule'));
  }

  /** Graceful unless Redis is unreachable (then BullMQ's graceful close never returns). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close(this.redis.status !== 'ready');
  }

  private process(job: Job<RetentionJobData>): Promise<CleanupResponse> {
    if (job.name !== RETENTION_JOB) throw new UnrecoverableError(`Unknown maintenance job ${job.name}`);
    // Job data is JSON read back from Redis (a job may have been queued by another release): the flag is checked, not trusted.
    const { olderThanDays, includeFailed } = job.data as Omit<RetentionJobData, 'includeFailed'> & { includeFailed?: unknown };
    // Never "older than 0 days" (everything finished) by accident.
    if (!Number.isInteger(olderThanDays) || olderThanDays < 1)
      throw new UnrecoverableError(`Refusing a retention of ${olderThanDays} days`);
    return this.cleanup.cleanup({ olderThanDays, includeFailed: includeFailed === true });
  }
}
