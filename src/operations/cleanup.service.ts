import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { DeliveryStatus } from '../outbox/outbox-event.entity';
import { WebhookQueueService } from '../queue/webhook-queue.service';
import { CleanupResponse } from './dto/cleanup.dto';

const BATCH = 2000;

export interface CleanupRequest {
  olderThanDays: number;
  includeFailed: boolean;
}

/**
 * Deletes finished events (sent and cancelled; failed ones only when asked) whose last change is
 * older than N days, with their retry history and outgoing audit rows, in batches of 2,000 rows
 * (short transactions, `SKIP LOCKED`). Used by `POST /api/v1/webhooks/queue/cleanup` and the
 * daily retention job.
 */
@Injectable()
export class CleanupService {
  private readonly logger = new Logger(CleanupService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queue: WebhookQueueService,
  ) {}

  async cleanup({ olderThanDays, includeFailed }: CleanupRequest): Promise<CleanupResponse> {
    const statuses: DeliveryStatus[] = includeFailed ? ['sent', 'cancelled', 'failed'] : ['sent', 'cancelled'];
    const cutoff = new Date(Date.now() - olderThanDays * 86_400_000);
    const total: CleanupResponse = { events: 0, history: 0, logs: 0 };
    for (;;) {
      const batch = await this.deleteBatch(statuses, cutoff);
      total.events += batch.events;
      total.history += batch.history;
      total.logs += batch.logs;
      if (batch.failedIds.length) await this.removeJobs(batch.failedIds);
      if (batch.events < BATCH) break;
    }
    this.logger.log({ ...total, older_than_days: olderThanDays, include_failed: includeFailed }, 'Cleaned up finished events');
    return total;
  }

  /** One batch in one statement: history and outgoing logs first (counted), then the events (the FK cascade is the safety net). */
  private async deleteBatch(statuses: DeliveryStatus[], cutoff: Date): Promise<CleanupResponse & { failedIds: string[] }> {
    const [row] = await this.dataSource.query(
      `WITH doomed AS (
          SELECT id, status FROM webhook_queue
           WHERE status = ANY($1::delivery_status[]) AND updated_at < $2
           ORDER BY updated_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED),
        history AS (DELETE FROM webhook_retry_history WHERE delivery_id IN (SELECT id FROM doomed) RETURNING 1),
        logs AS (DELETE FROM webhook_logs WHERE direction = 'outgoing' AND delivery_id IN (SELECT id::text FROM doomed) RETURNING 1),
        events AS (DELETE FROM webhook_queue WHERE id IN (SELECT id FROM doomed) RETURNING id, status)
      SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM history)::int AS history,
        (SELECT count(*) FROM logs)::int AS logs,
        COALESCE((SELECT array_agg(id::text) FROM events WHERE status = 'failed'), '{}') AS failed_ids`,
      [statuses, cutoff],
    );
    return { events: row.events, history: row.history, logs: row.logs, failedIds: row.failed_ids };
  }

  /** Failed events keep their job in BullMQ's failed set (the dead letters): remove those too. */
  private async removeJobs(ids: string[]): Promise<void> {
    try {
      await this.queue.removeMany(ids);
    } catch (error) {
      this.logger.warn({ err: error, jobs: ids.length }, 'Could not remove the jobs of deleted failed events; BullMQ trims them after 7 days');
    }
  }
}
