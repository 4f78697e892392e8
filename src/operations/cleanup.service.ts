import { Injectable, Logger } from '@nestjs/common';
import { WebhookLogRepository } from '../audit/webhook-log.repository';
import { DeliveryRepository } from '../outbox/delivery.repository';
import { WebhookQueueService } from '../queue/webhook-queue.service';
import { CallbackRepository } from '../webhook-responses/callback.repository';
import { CleanupResponse } from './dto/cleanup.dto';
import { AuditPartitionsService } from './retention/audit-partitions.service';

const BATCH = 2000;

export interface CleanupRequest {
  olderThanDays: number;
  includeFailed: boolean;
}

/**
 * Removes what is older than N days. First the day partitions of the audit tables that end
 * before the cutoff are dropped whole (AuditPartitionsService; the rows the steps below would
 * keep are kept). Then the rest is deleted in batches of 2,000 rows (one short statement each,
 * `SKIP LOCKED`, so the tables stay usable while it runs):
 * - finished events (sent and cancelled; failed ones only when asked) whose last change is older,
 *   with their retry history and outgoing audit rows;
 * - incoming audit rows (`webhook_logs`, direction incoming) and idempotency keys of applied
 *   callbacks (`webhook_callbacks`) created before the cutoff. A resend of the same signed request
 *   is refused as stale long before that (WEBHOOK_SIGNATURE_TOLERANCE_SECONDS, at most a day, while
 *   N is at least one); only a callback signed afresh with an X-Webhook-Id older than N days would
 *   be applied again;
 * - idle `per_entity` chains (their tail finished, untouched since the cutoff).
 * Used by `POST /api/v1/webhooks/queue/cleanup` and the daily retention job.
 */
@Injectable()
export class CleanupService {
  private readonly logger = new Logger(CleanupService.name);

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly logs: WebhookLogRepository,
    private readonly callbacks: CallbackRepository,
    private readonly queue: WebhookQueueService,
    private readonly partitions: AuditPartitionsService,
  ) {}

  async cleanup({ olderThanDays, includeFailed }: CleanupRequest): Promise<CleanupResponse> {
    const cutoff = new Date(Date.now() - olderThanDays * 86_400_000);
    const total = { events: 0, history: 0, logs: 0, incoming_logs: 0, callbacks: 0, chains: 0 } satisfies CleanupResponse;
    await this.dropPartitions(cutoff, includeFailed, total);
    for (;;) {
      const batch = await this.deliveries.deleteFinished(includeFailed, cutoff, BATCH);
      total.events += batch.events;
      total.history += batch.history;
      total.logs += batch.logs;
      if (batch.failedIds.length) await this.removeJobs(batch.failedIds);
      if (batch.events < BATCH) break;
    }
    total.incoming_logs += await inBatches(() => this.logs.deleteIncomingBefore(cutoff, BATCH));
    total.callbacks = await inBatches(() => this.callbacks.deleteCreatedBefore(cutoff, BATCH));
    total.chains = await inBatches(() => this.deliveries.deleteIdleChains(cutoff, BATCH));
    this.logger.log(
      { ...total, older_than_days: olderThanDays, include_failed: includeFailed },
      'Cleaned up old events, incoming logs and callback keys',
    );
    return total;
  }

  /**
   * Whole days of audit rows (when that fails, the row-by-row steps delete the same rows), and the
   * partitions of the days ahead made ready.
   */
  private async dropPartitions(cutoff: Date, includeFailed: boolean, total: CleanupResponse): Promise<void> {
    try {
      const dropped = await this.partitions.dropBefore(cutoff, includeFailed);
      total.history += dropped.history;
      total.logs += dropped.logs;
      total.incoming_logs += dropped.incomingLogs;
      await this.partitions.ensureAhead();
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not maintain the audit partitions; old rows are deleted one by one instead');
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

/** Runs one batch (answering how many rows it deleted) until a batch comes back short. */
async function inBatches(deleteBatch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await deleteBatch();
    total += n;
    if (n < BATCH) return total;
  }
}
