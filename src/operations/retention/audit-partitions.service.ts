import { Injectable, Logger } from '@nestjs/common';
import {
  AuditPartitionRepository,
  DayPartition,
  DoomedDeliveries,
  DroppedRows,
  PARTITIONED_AUDIT_TABLES,
} from '../../audit/audit-partition.repository';
import { fromStatuses } from '../../outbox/delivery-transitions';

/**
 * Day partitions kept ready ahead of today. A week covers a worker that runs that long with the
 * maintenance job stopped (RETENTION_DAYS=0 still leaves the hourly check of the workers); a day
 * that finds no partition still goes to the DEFAULT partition and moves out when its partition
 * is created.
 */
export const PARTITION_DAYS_AHEAD = 7;
const DAY_MS = 86_400_000;

/**
 * The day partitions of the audit tables (`webhook_logs`, `webhook_retry_history`): creates them
 * ahead of time, and drops those entirely older than a retention cutoff, so that retention
 * removes a whole day at once instead of deleting its rows (no dead tuples, no WAL per row).
 */
@Injectable()
export class AuditPartitionsService {
  private readonly logger = new Logger(AuditPartitionsService.name);

  constructor(private readonly partitions: AuditPartitionRepository) {}

  /** Creates the missing partitions of today and the next PARTITION_DAYS_AHEAD days; answers their names. */
  async ensureAhead(now = new Date()): Promise<string[]> {
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const created: string[] = [];
    for (const table of PARTITIONED_AUDIT_TABLES)
      for (let i = 0; i <= PARTITION_DAYS_AHEAD; i++) {
        const day = new Date(today + i * DAY_MS);
        if (await this.partitions.create(table, day)) created.push(`${table}@${day.toISOString().slice(0, 10)}`);
      }
    if (created.length) this.logger.log({ partitions: created }, 'Created audit partitions');
    return created;
  }

  /**
   * Drops every day partition that ends at or before `cutoff`, keeping (in the DEFAULT
   * partition) the rows that cleanup would not delete: the attempts and outgoing logs of
   * deliveries that stay (unfinished, failed when `includeFailed` is off, changed since the
   * cutoff). What is left before the cutoff (the day the cutoff falls in, the DEFAULT partition)
   * is for the row-by-row cleanup that follows. Answers the rows dropped, per kind.
   */
  async dropBefore(cutoff: Date, includeFailed: boolean): Promise<DroppedRows> {
    const doomed = { cutoff, statuses: fromStatuses('cleanUp', includeFailed ? ['sent', 'cancelled', 'failed'] : ['sent', 'cancelled']) };
    const total: DroppedRows = { history: 0, logs: 0, incomingLogs: 0 };
    const dropped: string[] = [];
    for (const table of PARTITIONED_AUDIT_TABLES)
      for (const partition of await this.partitions.list(table)) {
        if (partition.to > cutoff) continue;
        try {
          const rows = await this.drop(partition, doomed);
          total.history += rows.history;
          total.logs += rows.logs;
          total.incomingLogs += rows.incomingLogs;
          dropped.push(partition.name);
        } catch (error) {
          // Most likely a lock not granted within its timeout: the row-by-row cleanup deletes these rows instead.
          this.logger.warn({ err: error, partition: partition.name }, 'Could not drop an old audit partition');
        }
      }
    if (dropped.length) this.logger.log({ partitions: dropped, ...total }, 'Dropped audit partitions older than the retention cutoff');
    return total;
  }

  private drop(partition: DayPartition, doomed: DoomedDeliveries): Promise<DroppedRows> {
    return partition.table === 'webhook_retry_history'
      ? this.partitions.dropHistoryDay(partition, doomed)
      : this.partitions.dropLogDay(partition, doomed);
  }
}
