import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AuditPartitionsService } from './audit-partitions.service';

/**
 * How often a worker checks that the audit tables' day partitions exist ahead. Cheap (a catalog
 * lookup per day when they do), and independent of the daily retention job, which RETENTION_DAYS=0
 * switches off.
 */
const CHECK_INTERVAL_MS = 3_600_000;

/**
 * Worker role: makes the audit partitions of today and the days ahead exist at start, then every
 * CHECK_INTERVAL_MS. Every worker process does it; the partition lock makes them take turns.
 */
@Injectable()
export class AuditPartitionsScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditPartitionsScheduler.name);
  private timer?: NodeJS.Timeout;

  constructor(private readonly partitions: AuditPartitionsService) {}

  onApplicationBootstrap(): void {
    // Not awaited: with the database down at start-up this is done on the next check, without holding the boot.
    void this.check();
    this.timer = setInterval(() => void this.check(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    try {
      await this.partitions.ensureAhead();
    } catch (err) {
      this.logger.warn({ err }, 'Could not create the audit partitions ahead; rows of a day without one go to the DEFAULT partition');
    }
  }
}
