import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PreparedStatement } from '../database/prepared-statement';
import { ATTEMPT_LOOKBACK } from './retry-history.repository';
import { WebhookLog } from './webhook-log.entity';

/**
 * A row to write: direction, endpoint and outcome are required; a field left out takes its column
 * default (created_at: now; the delivery recorder gives it once per attempt, so that the batch
 * written again carries the same value).
 */
export type NewWebhookLog = Omit<Partial<WebhookLog>, 'id'> & Pick<WebhookLog, 'direction' | 'endpoint' | 'outcome'>;

const UUID_PATTERN = `'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`;

/** An outgoing row as the operations API shows it. */
export interface OutgoingLogRow {
  id: string;
  attempt: number | null;
  endpoint: string;
  request_headers: Record<string, string>;
  request_body: string | null;
  response_status: number | null;
  response_body: string | null;
  duration_ms: number | null;
  outcome: string;
  reason: string | null;
  created_at: Date;
}

/** An incoming row (a callback accepted or refused) as the console lists it; `cursor_at` keeps created_at's microseconds. */
export interface IncomingLogRow {
  id: string;
  endpoint: string;
  method: string;
  /** The X-Webhook-Id the sender gave, if any. */
  delivery_id: string | null;
  source_ip: string | null;
  request_headers: Record<string, string>;
  request_body: string | null;
  response_status: number | null;
  response_body: string | null;
  duration_ms: number | null;
  outcome: string;
  reason: string | null;
  created_at: Date;
  cursor_at: string;
}

/** Filters of incoming rows, combined with AND. */
export interface IncomingLogFilter {
  outcomes?: readonly string[];
  /** Rows whose request body contains at least one of these texts (an entity id, an execution id). */
  mentioning?: readonly string[];
  /** Created at or after. */
  since?: Date;
  /** Created before. */
  until?: Date;
  /** Keyset position: rows strictly before it, newest first. */
  before?: { createdAt: string; id: string };
}

/** Prepared once per connection (see PreparedStatement): it runs for every batch of attempts and of incoming callbacks. */
const INSERT_LOGS = new PreparedStatement(
  'webhook_logs_insert',
  `INSERT INTO webhook_logs (direction, delivery_id, event_type, entity_type, entity_id, endpoint, method, attempt,
          request_headers, request_body, response_status, response_body, duration_ms, outcome, reason, source_ip, created_at)
        SELECT v.direction, v.delivery_id, v.event_type, v.entity_type, v.entity_id, v.endpoint, COALESCE(v.method, 'POST'), v.attempt,
          COALESCE(v.headers, '{}'::jsonb), v.body, v.status, v.response, v.duration_ms, v.outcome, v.reason, v.source_ip, COALESCE(v.created_at, now())
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[],
            $9::jsonb[], $10::text[], $11::int[], $12::text[], $13::int[], $14::text[], $15::text[], $16::text[], $17::timestamptz[])
          AS v(direction, delivery_id, event_type, entity_type, entity_id, endpoint, method, attempt,
            headers, body, status, response, duration_ms, outcome, reason, source_ip, created_at)
        LEFT JOIN LATERAL (SELECT created_at FROM webhook_queue WHERE v.direction = 'outgoing' AND v.attempt IS NOT NULL
          AND id = CASE WHEN v.delivery_id ~* ${UUID_PATTERN} THEN v.delivery_id::uuid END) q ON true
        WHERE v.direction <> 'outgoing' OR v.delivery_id IS NULL OR v.attempt IS NULL OR NOT EXISTS (SELECT 1 FROM webhook_logs l
          WHERE l.direction = 'outgoing' AND l.delivery_id = v.delivery_id AND l.attempt = v.attempt
            AND l.created_at >= COALESCE(q.created_at - ${ATTEMPT_LOOKBACK}, '-infinity') OFFSET 0)
        ON CONFLICT DO NOTHING`,
);

/**
 * The only code that writes `webhook_logs`, the audit trail: outgoing attempts (the delivery
 * recorder, in its batch transaction) and incoming requests (AuditLogService) go through the same
 * INSERT. Callers make texts storable first (sanitize-text.ts) and redact headers.
 */
@Injectable()
export class WebhookLogRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * One multi-row INSERT with one array parameter per column (unnest): the statement text and the
   * parameter count stay the same whatever the batch size, and no ORM work per row. Columns left
   * out take their defaults (id, method 'POST', request_headers '{}', created_at). An outgoing
   * attempt already logged is not logged again: the unique index (delivery_id, attempt,
   * created_at; the table is partitioned by created_at) catches the same batch written again, and
   * NOT EXISTS the attempt logged at another time, looking at the partitions since the delivery
   * was created (see RetryHistoryRepository.insertMany).
   */
  async insertMany(rows: NewWebhookLog[], manager: EntityManager = this.dataSource.manager): Promise<void> {
    const col = <T>(pick: (row: NewWebhookLog) => T | null | undefined) => rows.map((row) => pick(row) ?? null);
    await INSERT_LOGS.run(manager, [
      col((r) => r.direction),
      col((r) => r.deliveryId),
      col((r) => r.eventType),
      col((r) => r.entityType),
      col((r) => r.entityId),
      col((r) => r.endpoint),
      col((r) => r.method),
      col((r) => r.attempt),
      col((r) => (r.requestHeaders ? JSON.stringify(r.requestHeaders) : null)),
      col((r) => r.requestBody),
      col((r) => r.responseStatus),
      col((r) => r.responseBody),
      col((r) => r.durationMs),
      col((r) => r.outcome),
      col((r) => r.reason),
      col((r) => r.sourceIp),
      col((r) => r.createdAt),
    ]);
  }

  /** The outgoing rows of one delivery, oldest first. */
  outgoingFor(deliveryId: string): Promise<OutgoingLogRow[]> {
    return this.dataSource.query<OutgoingLogRow[]>(
      `SELECT id, attempt, endpoint, request_headers, request_body, response_status, response_body, duration_ms, outcome, reason, created_at
        FROM webhook_logs WHERE direction = 'outgoing' AND delivery_id = $1 ORDER BY created_at, id`,
      [deliveryId],
    );
  }

  /**
   * Deletes up to `limit` incoming rows created before `cutoff`, oldest first along
   * idx_webhook_logs_direction_created (`SKIP LOCKED`), by primary key (id, created_at) in the
   * partitions before the cutoff; returns how many. Whole days are dropped before this runs
   * (AuditPartitionRepository): what is left is the day the cutoff falls in and the DEFAULT
   * partition. (Outgoing rows go with their delivery: DeliveryRepository.deleteFinished.)
   */
  async deleteIncomingBefore(cutoff: Date, limit: number): Promise<number> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`Not a row count: ${limit}`);
    const [row] = await this.dataSource.query<{ n: number }[]>(
      `WITH doomed AS (
          SELECT id, created_at FROM webhook_logs WHERE direction = 'incoming' AND created_at < $1
           ORDER BY created_at LIMIT ${limit} FOR UPDATE SKIP LOCKED),
        gone AS (DELETE FROM webhook_logs l USING doomed d WHERE l.created_at < $1 AND (l.id, l.created_at) = (d.id, d.created_at) RETURNING 1)
        SELECT count(*)::int AS n FROM gone`,
      [cutoff],
    );
    return row?.n ?? 0;
  }

  /** Incoming rows (callbacks accepted and refused), newest first, keyset-paginated on (created_at, id). */
  listIncoming(filter: IncomingLogFilter, limit: number): Promise<IncomingLogRow[]> {
    const params: unknown[] = [];
    const where = [`direction = 'incoming'`];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (filter.outcomes) add((p) => `outcome = ANY(${p}::text[])`, filter.outcomes);
    if (filter.mentioning)
      add((p) => `EXISTS (SELECT 1 FROM unnest(${p}::text[]) AS t(text) WHERE strpos(request_body, t.text) > 0)`, filter.mentioning);
    if (filter.since) add((p) => `created_at >= ${p}`, filter.since);
    if (filter.until) add((p) => `created_at < ${p}`, filter.until);
    if (filter.before) {
      params.push(filter.before.createdAt, filter.before.id);
      where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`Not a row count: ${limit}`);
    return this.dataSource.query<IncomingLogRow[]>(
      `SELECT id, endpoint, method, delivery_id, source_ip, request_headers, request_body, response_status, response_body, duration_ms,
          outcome, reason, created_at, created_at::text AS cursor_at
        FROM webhook_logs WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ${limit}`,
      params,
    );
  }
}
