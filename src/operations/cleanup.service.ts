import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { DeliveryStatus } from '../outbox/outbox-event.entity';
import { WebhookQueueService } from '../queue/webhook-queue.service';
import { CleanupResponse } from './dto/cleanup.dto';

const BATCH = 2000;

/** Incoming audit rows, oldest first along idx_webhook_logs_direction_created. */
const INCOMING_LOGS_BATCH = `WITH doomed AS (
    SELECT id FROM webhook_logs WHERE direction = 'incoming' AND created_at < $1
     ORDER BY created_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED),
  gone AS (DELETE FROM webhook_logs WHERE id IN (SELECT id FROM doomed) RETURNING 1)
  SELECT count(*)::int AS n FROM gone`;

/** Idempotency keys of applied callbacks, oldest first (a range read of idx_webhook_callbacks_created). */
const CALLBACKS_BATCH = `WITH doomed AS (
    SELECT idempotency_key FROM webhook_callbacks WHERE created_at < $1
     ORDER BY created_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED),
  gone AS (DELETE FROM webhook_callbacks WHERE idempotency_key IN (SELECT idempotency_key FROM doomed) RETURNING 1)
  SELECT count(*)::int AS n FROM gone`;

export interface CleanupRequest {
  olderThanDays: number;
  includeFailed: boolean;
}

/**
 * Deletes what is older than N days, in batches of 2,000 rows (one short statement each,
 * `SKIP LOCKED`, so the tables stay usable while it runs):
 * - finished events (sent and cancelled; failed ones only when asked) whose last change is older,
 *   with their retry history and outgoing audit rows;
 * - incoming audit rows (`webhook_logs`, direction incoming) and idempotency keys of applied
 *   callbacks (`webhook_callbacks`) created before the cutoff. A resend of the same signed request
 *   is refused as stale long before that (WEBHOOK_SIGNATURE_TOLERANCE_SECONDS, at most a day, while
 *   N is at least one); only a callback signed afresh with an X-Webhook-Id older than N days would
 *   be applied again.
 * Used by `POST /api/v1/webhooks/queue/cleanup` and the daily retention job.
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
    const total: CleanupResponse = { events: 0, history: 0, logs: 0, incoming_logs: 0, callbacks: 0 };
    for (;;) {
      const batch = await this.deleteBatch(statuses, cutoff);
      total.events += batch.events;
      total.history += batch.history;
      total.logs += batch.logs;
      if (batch.failedIds.length) await this.removeJobs(batch.failedIds);
      if (batch.events < BATCH) break;
    }
    total.incoming_logs = await this.deleteInBatches(INCOMING_LOGS_BATCH, cutoff);
    total.callbacks = await this.deleteInBatches(CALLBACKS_BATCH, cutoff);
    this.logger.log(
      { ...total, older_than_days: olderThanDays, include_failed: includeFailed },
      'Cleaned up old events, incoming logs and callback keys',
    );
    return total;
  }

  /** One batch of events in one statement: history and outgoing logs first (counted), then the events (the FK cascade is the safety net). */
  private async deleteBatch(
    statuses: DeliveryStatus[],
    cutoff: Date,
  ): Promise<Pick<CleanupResponse, 'events' | 'history' | 'logs'> & { failedIds: string[] }> {
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

  /** Runs one batch statement (`$1` = cutoff, answers `n` rows deleted) until a batch comes back short. */
  private async deleteInBatches(statement: string, cutoff: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const [{ n }]: { n: number }[] = await this.dataSource.query(statement, [cutoff]);
      total += n;
      if (n < BATCH) return total;
    }
  }

  /** Failed events keep their job in BullMQ's failed set (the dead letters): remove those too. */
  private async removeJobs(ids: string[]): Promise<void> {
    try {
      await this.queue.removeMany(ids);
    } catch (error) {
      this.logger.warn(
        { err: error, jobs: ids.length },
        'Could not remove the jobs of deleted failed events; BullMQ trims them after 7 days',
      );
    }
  }
}
