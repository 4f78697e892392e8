import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ConflictError, EntityNotFoundError } from '../common/errors/app-errors';
import { returnedRows } from '../database/raw-query';
import type { DeliveryStatus } from '../outbox/outbox-event.entity';
import { WebhookQueueService } from '../queue/webhook-queue.service';
import { DeliverySummary, SUMMARY_COLUMNS, SummaryRow, toSummary } from './dto/delivery.response';

const RETRYABLE: DeliveryStatus[] = ['failed', 'cancelled'];
/** `sending` is not here: a worker holds that row. The worker's claim never takes a `cancelled` row. */
const CANCELLABLE: DeliveryStatus[] = ['pending', 'queued', 'retrying'];

/**
 * Operator actions on one event. Each status change is a conditional UPDATE (`… WHERE status IN`),
 * so it and a concurrent worker claim cannot both win; the BullMQ job is changed after the row.
 */
@Injectable()
export class DeliveryActionsService {
  private readonly logger = new Logger(DeliveryActionsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queue: WebhookQueueService,
  ) {}

  /** A failed or cancelled event goes back to the queue with the same delivery id and its attempts reset. */
  async retry(id: string): Promise<DeliverySummary> {
    const status = await this.statusOf(id);
    if (!RETRYABLE.includes(status)) throw new ConflictError(`Only failed or cancelled events can be retried; this one is ${status}`, { status });
    const { rows, busy } = await this.requeue([id], RETRYABLE);
    if (busy.length) throw new ConflictError('The previous job of this event is still finishing; retry in a moment', { status });
    const [row] = rows;
    if (!row) throw new ConflictError('The event changed while it was being retried; read it again', { status: await this.statusOf(id) });
    this.logger.log({ delivery_id: id, previous_status: status }, 'Operator retried an event');
    return toSummary(row);
  }

  /** A pending, queued or retrying event leaves the queue and is never sent. */
  async cancel(id: string): Promise<DeliverySummary> {
    const status = await this.statusOf(id);
    if (!CANCELLABLE.includes(status)) throw this.notCancellable(status);
    if ((await this.queue.jobState(id)) === 'active') throw this.notCancellable('sending');
    const [row] = returnedRows<SummaryRow>(
      await this.dataSource.query(
        `UPDATE webhook_queue SET status = 'cancelled', next_retry_at = NULL, last_error = 'cancelled by an operator', updated_at = now()
          WHERE id = $1 AND status = ANY($2::delivery_status[]) RETURNING ${SUMMARY_COLUMNS}`,
        [id, CANCELLABLE],
      ),
    );
    if (!row) throw this.notCancellable(await this.statusOf(id));
    // A worker that took the job in between finds the row cancelled and skips it.
    const locked = await this.queue.removeMany([id]);
    this.logger.log({ delivery_id: id, previous_status: status, job_was_active: locked.length > 0 }, 'Operator cancelled an event');
    return toSummary(row);
  }

  /**
   * Puts finished rows back to `queued` (attempts 0, same id) and queues them again. Their old
   * jobs are removed first: a job with the same id still in the completed or failed set would make
   * `add` a no-op. A row whose old job is still active (finishing right now) is left alone and
   * reported in `busy`. If Redis fails after the UPDATE, the outbox relay re-queues the rows.
   */
  async requeue(ids: string[], fromStatuses: readonly DeliveryStatus[]): Promise<{ rows: SummaryRow[]; busy: string[] }> {
    if (ids.length === 0) return { rows: [], busy: [] };
    const busy = await this.queue.removeMany(ids);
    const free = ids.filter((id) => !busy.includes(id));
    if (free.length === 0) return { rows: [], busy };
    const rows = returnedRows<SummaryRow>(
      await this.dataSource.query(
        `UPDATE webhook_queue SET status = 'queued', attempts = 0, last_error = NULL, last_status_code = NULL, next_retry_at = NULL,
            published_at = now(), updated_at = now()
          WHERE id = ANY($1::uuid[]) AND status = ANY($2::delivery_status[]) RETURNING ${SUMMARY_COLUMNS}`,
        [free, fromStatuses],
      ),
    );
    try {
      await this.queue.enqueue(rows.map((r) => ({ id: r.id, eventType: r.event, priority: r.priority })));
    } catch (error) {
      this.logger.warn({ err: error, events: rows.length }, 'Could not queue re-sent events now; the outbox relay will');
    }
    return { rows, busy };
  }

  private async statusOf(id: string): Promise<DeliveryStatus> {
    const [row] = await this.dataSource.query(`SELECT status FROM webhook_queue WHERE id = $1`, [id]);
    if (!row) throw new EntityNotFoundError('delivery', id);
    return row.status;
  }

  private notCancellable(status: DeliveryStatus): ConflictError {
    const why: Partial<Record<DeliveryStatus, string>> = {
      sending: 'it is being sent right now',
      sent: 'it was already sent',
      failed: 'it already failed for good',
      cancelled: 'it is already cancelled',
    };
    return new ConflictError(`This event cannot be cancelled: ${why[status] ?? `it is ${status}`}`, { status });
  }
}
