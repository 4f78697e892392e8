import { Injectable, Logger } from '@nestjs/common';
import { ConflictError, EntityNotFoundError } from '../common/errors/app-errors';
import { DeliveryRepository, DeliveryRow } from '../outbox/delivery.repository';
import { canLeave, RETRYABLE } from '../outbox/delivery-transitions';
import type { DeliveryStatus } from '../outbox/outbox-event.entity';
import { WebhookQueueService } from '../queue/webhook-queue.service';
import { ChainAdvancer } from '../delivery/chain-advancer.service';
import { DeliverySummary, toSummary } from './dto/delivery.response';

/**
 * Operator actions on one event. Each status change is a transition of DeliveryRepository, a
 * conditional UPDATE (`… WHERE status IN` its `from` set), so it and a concurrent worker claim
 * cannot both win; the BullMQ job is changed after the row.
 */
@Injectable()
export class DeliveryActionsService {
  private readonly logger = new Logger(DeliveryActionsService.name);

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly queue: WebhookQueueService,
    private readonly chains: ChainAdvancer,
  ) {}

  /** A failed or cancelled event goes back to the queue with the same delivery id and its attempts reset. */
  async retry(id: string): Promise<DeliverySummary> {
    const status = await this.statusOf(id);
    if (!canLeave('retry', status))
      throw new ConflictError(`Only ${RETRYABLE.join(' or ')} events can be retried; this one is ${status}`, { status });
    const { rows, busy } = await this.requeue([id], 'retry');
    if (busy.length) throw new ConflictError('The previous job of this event is still finishing; retry in a moment', { status });
    const [row] = rows;
    if (!row) throw new ConflictError('The event changed while it was being retried; read it again', { status: await this.statusOf(id) });
    this.logger.log({ delivery_id: id, previous_status: status }, 'Operator retried an event');
    return toSummary(row);
  }

  /** A pending, queued or retrying event leaves the queue and is never sent. */
  async cancel(id: string): Promise<DeliverySummary> {
    const status = await this.statusOf(id);
    if (!canLeave('cancel', status)) throw this.notCancellable(status);
    if ((await this.queue.jobState(id)) === 'active') throw this.notCancellable('sending');
    const row = await this.deliveries.cancel(id, 'cancelled by an operator');
    if (!row) throw this.notCancellable(await this.statusOf(id));
    // A `per_entity` delivery waiting behind this one goes now.
    await this.chains.advance(id);
    // A worker that took the job in between finds the row cancelled and skips it.
    const locked = await this.queue.removeMany([id]);
    this.logger.log({ delivery_id: id, previous_status: status, job_was_active: locked.length > 0 }, 'Operator cancelled an event');
    return toSummary(row);
  }

  /**
   * Puts finished rows back to `queued` (attempts 0, same id) and queues them again: the `retry`
   * or `replay` transition, for the rows whose status is in `statuses` (by default its whole
   * `from` set). Their old jobs are removed first: a job with the same id still in the completed
   * or failed set would make `add` a no-op. A row whose old job is still active (finishing right
   * now) is left alone and reported in `busy`. If Redis fails after the UPDATE, the outbox relay
   * re-queues the rows.
   */
  async requeue(
    ids: string[],
    transition: 'retry' | 'replay',
    statuses?: readonly DeliveryStatus[],
  ): Promise<{ rows: DeliveryRow[]; busy: string[] }> {
    if (ids.length === 0) return { rows: [], busy: [] };
    const busy = await this.queue.removeMany(ids);
    const free = ids.filter((id) => !busy.includes(id));
    if (free.length === 0) return { rows: [], busy };
    const rows = await this.deliveries.requeue(free, transition, statuses);
    try {
      await this.queue.enqueue(
        rows.map((r) => ({
          id: r.id,
          eventType: r.event,
          priority: r.priority,
          subscriptionId: r.subscription_id,
          entityType: r.entity_type,
          entityId: r.entity_id,
        })),
      );
    } catch (error) {
      this.logger.warn({ err: error, events: rows.length }, 'Could not queue re-sent events now; the outbox relay will');
    }
    return { rows, busy };
  }

  private async statusOf(id: string): Promise<DeliveryStatus> {
    const status = await this.deliveries.statusOf(id);
    if (!status) throw new EntityNotFoundError('delivery', id);
    return status;
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
