import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import {
  MAINTENANCE_JOB_OPTIONS,
  MAINTENANCE_QUEUE,
  RETENTION_JOB,
  RETENTION_SCHEDULE,
  RETENTION_SCHEDULER_ID,
  RetentionJobData,
} from '../../queue/queue.constants';

/** The only code that adds jobs or job schedulers to the maintenance queue. */
@Injectable()
export class MaintenanceQueueService {
  private readonly logger = new Logger(MaintenanceQueueService.name);

  constructor(
    @InjectQueue(MAINTENANCE_QUEUE) readonly queue: Queue<RetentionJobData>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    queue.on('error', (error) => this.logger.debug({ err: error }, 'Maintenance queue connection error'));
  }

  /** The daily retention job scheduler from RETENTION_DAYS (0 removes it). Idempotent: one scheduler per id in Redis. */
  async scheduleRetention(): Promise<void> {
    const { retentionDays, retentionIncludeFailed } = this.config.operations;
    if (retentionDays === 0) {
      await this.queue.removeJobScheduler(RETENTION_SCHEDULER_ID);
      return;
    }
    await this.queue.upsertJobScheduler(RETENTION_SCHEDULER_ID, RETENTION_SCHEDULE, {
      name: RETENTION_JOB,
      data: { olderThanDays: retentionDays, includeFailed: retentionIncludeFailed },
      opts: MAINTENANCE_JOB_OPTIONS,
    });
  }

  /** Runs the retention job now (operators, tests), with the configured settings unless given. */
  runRetentionNow(
    data: RetentionJobData = {
      olderThanDays: this.config.operations.retentionDays,
      includeFailed: this.config.operations.retentionIncludeFailed,
    },
  ) {
    return this.queue.add(RETENTION_JOB, data, MAINTENANCE_JOB_OPTIONS);
  }
}
