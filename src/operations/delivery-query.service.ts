import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EntityNotFoundError, ValidationFailedError } from '../common/errors/app-errors';
import { WebhookQueueService } from '../queue/webhook-queue.service';
import { decodeCursor, encodeCursor } from './delivery-cursor';
import { DeliveryAttempt, DeliveryDetail, DeliveryLogEntry, DeliveryPage, iso, SUMMARY_COLUMNS, SummaryRow, toSummary } from './dto/delivery.response';
import { ListDeliveriesQuery } from './dto/list-deliveries.query';

/** Reads outgoing events from Postgres (`webhook_queue`, with history and audit rows for one event). */
@Injectable()
export class DeliveryQueryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queue: WebhookQueueService,
  ) {}

  /** Newest first, keyset-paginated on (created_at, id). */
  async list(query: ListDeliveriesQuery): Promise<DeliveryPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (query.status) add((p) => `status = ${p}::delivery_status`, query.status);
    if (query.event) add((p) => `event_type = ${p}`, query.event);
    if (query.entity_id) add((p) => `entity_id = ${p}`, query.entity_id);
    if (query.since) add((p) => `created_at >= ${p}::timestamptz`, query.since);
    if (query.until) add((p) => `created_at < ${p}::timestamptz`, query.until);
    if (query.cursor !== undefined) {
      const position = decodeCursor(query.cursor);
      if (!position) throw new ValidationFailedError([{ field: 'cursor', errors: ['cursor is not a next_cursor issued by this API'] }]);
      params.push(position.createdAt, position.id);
      where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(query.limit + 1);
    const rows: SummaryRow[] = await this.dataSource.query(
      `SELECT ${SUMMARY_COLUMNS} FROM webhook_queue ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > query.limit && last ? encodeCursor({ createdAt: last.cursor_at, id: last.id }) : null;
    return { items: page.map(toSummary), next_cursor: nextCursor, limit: query.limit };
  }

  /** One event with every attempt (retry history and audit log rows) and its BullMQ state. */
  async get(id: string): Promise<DeliveryDetail> {
    const [row]: (SummaryRow & { payload: Record<string, unknown> })[] = await this.dataSource.query(
      `SELECT ${SUMMARY_COLUMNS}, payload FROM webhook_queue WHERE id = $1`,
      [id],
    );
    if (!row) throw new EntityNotFoundError('delivery', id);
    const [history, logs, jobState] = await Promise.all([
      this.dataSource.query(
        `SELECT attempt, outcome, status_code, error, duration_ms, scheduled_delay_ms, created_at
          FROM webhook_retry_history WHERE delivery_id = $1 ORDER BY created_at, id`,
        [id],
      ) as Promise<(Omit<DeliveryAttempt, 'created_at'> & { created_at: Date })[]>,
      this.dataSource.query(
        `SELECT id, attempt, endpoint, request_headers, request_body, response_status, response_body, duration_ms, outcome, reason, created_at
          FROM webhook_logs WHERE direction = 'outgoing' AND delivery_id = $1 ORDER BY created_at, id`,
        [id],
      ) as Promise<(Omit<DeliveryLogEntry, 'created_at'> & { created_at: Date })[]>,
      this.queue.jobState(id).catch(() => 'unknown'),
    ]);
    return {
      ...toSummary(row),
      payload: row.payload,
      job_state: jobState === 'unknown' ? null : jobState,
      history: history.map((h) => ({ ...h, created_at: iso(h.created_at) as string })),
      logs: logs.map((l) => ({ ...l, created_at: iso(l.created_at) as string })),
    };
  }
}
