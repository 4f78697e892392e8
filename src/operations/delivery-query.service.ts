import { Injectable } from '@nestjs/common';
import { RetryHistoryRepository } from '../audit/retry-history.repository';
import { WebhookLogRepository } from '../audit/webhook-log.repository';
import { EntityNotFoundError, ValidationFailedError } from '../common/errors/app-errors';
import { DeliveryPosition, DeliveryRepository } from '../outbox/delivery.repository';
import { WebhookQueueService } from '../queue/webhook-queue.service';
import { decodeCursor, encodeCursor } from './delivery-cursor';
import { DeliveryDetail, DeliveryPage, iso, toSummary } from './dto/delivery.response';
import { ListDeliveriesQuery } from './dto/list-deliveries.query';

/** Reads outgoing events (`webhook_queue`, with history and audit rows for one event). */
@Injectable()
export class DeliveryQueryService {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly history: RetryHistoryRepository,
    private readonly logs: WebhookLogRepository,
    private readonly queue: WebhookQueueService,
  ) {}

  /** Newest first, keyset-paginated on (created_at, id). */
  async list(query: ListDeliveriesQuery): Promise<DeliveryPage> {
    let before: DeliveryPosition | undefined;
    if (query.cursor !== undefined) {
      before = decodeCursor(query.cursor);
      if (!before) throw new ValidationFailedError([{ field: 'cursor', errors: ['cursor is not a next_cursor issued by this API'] }]);
    }
    const filter = {
      status: query.status,
      event: query.event,
      entityId: query.entity_id,
      subscriptionId: query.subscription_id,
      eventId: query.event_id,
      since: query.since,
      until: query.until,
    };
    const rows = await this.deliveries.list(filter, query.limit + 1, before);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > query.limit && last ? encodeCursor({ createdAt: last.cursor_at, id: last.id }) : null;
    return { items: page.map(toSummary), next_cursor: nextCursor, limit: query.limit };
  }

  /** One event with every attempt (retry history and audit log rows) and its BullMQ state. */
  async get(id: string): Promise<DeliveryDetail> {
    const row = await this.deliveries.findWithPayload(id);
    if (!row) throw new EntityNotFoundError('delivery', id);
    const [history, logs, jobState] = await Promise.all([
      this.history.forDelivery(id),
      this.logs.outgoingFor(id),
      this.queue.jobState(id).catch(() => 'unknown'),
    ]);
    return {
      // eslint-disable-next-line @typescript-eslint/no-misused-spread -- toSummary builds a plain object literal typed by its DTO class: no prototype to lose
      ...toSummary(row),
      payload: row.payload,
      job_state: jobState === 'unknown' ? null : jobState,
      history: history.map((h) => ({ ...h, created_at: iso(h.created_at) as string })),
      logs: logs.map((l) => ({ ...l, created_at: iso(l.created_at) as string })),
    };
  }
}
