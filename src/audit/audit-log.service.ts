import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { MicroBatcher } from '../common/batching/micro-batcher';
import { WebhookLog } from './webhook-log.entity';

export type WebhookLogInput = Omit<Partial<WebhookLog>, 'id' | 'createdAt'> & Pick<WebhookLog, 'direction' | 'endpoint' | 'outcome'>;

const MAX_BODY_CHARS = 8 * 1024;
const WRITE_RETRIES = 5;

/**
 * Writes the `webhook_logs` audit trail. Bodies are truncated to 8 KB; callers pass headers
 * already redacted. Rows written with `recordSafely` are grouped into multi-row inserts.
 */
@Injectable()
export class AuditLogService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditLogService.name);
  private readonly batcher: MicroBatcher<Partial<WebhookLog>, void>;

  constructor(@InjectRepository(WebhookLog) private readonly logs: Repository<WebhookLog>) {
    this.batcher = new MicroBatcher<Partial<WebhookLog>, void>(
      async (rows) => {
        await insertRows(this.logs.manager, rows);
        return rows.map(() => undefined);
      },
      { maxBatch: 500, concurrency: 2, retryDelay: (_error, attempt) => (attempt < WRITE_RETRIES ? 100 * 2 ** attempt : undefined) },
    );
  }

  /** Inserts one row now, inside `manager`'s transaction when given. */
  async record(entry: WebhookLogInput, manager?: EntityManager): Promise<void> {
    const repo = manager ? manager.getRepository(WebhookLog) : this.logs;
    await repo.insert(normalise(entry) as QueryDeepPartialEntity<WebhookLog>);
  }

  /**
   * Queues the row for the next grouped insert (retried a few times); a failure is logged
   * instead of thrown: for paths where auditing must not change the answer.
   */
  async recordSafely(entry: WebhookLogInput): Promise<void> {
    try {
      await this.batcher.submit(normalise(entry));
    } catch (error) {
      this.logger.warn({ err: error, endpoint: entry.endpoint, outcome: entry.outcome }, 'Could not write webhook_logs row');
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.batcher.drained();
  }
}

/**
 * One multi-row INSERT with one array parameter per column (unnest): the statement text and the
 * parameter count stay the same whatever the batch size, and no ORM work per row. Columns left
 * out take their defaults (id, method 'POST', request_headers '{}', created_at).
 */
async function insertRows(manager: EntityManager, rows: Partial<WebhookLog>[]): Promise<void> {
  const col = <T>(pick: (row: Partial<WebhookLog>) => T | null | undefined) => rows.map((row) => pick(row) ?? null);
  await manager.query(
    `INSERT INTO webhook_logs (direction, delivery_id, event_type, entity_type, entity_id, endpoint, method, attempt,
        request_headers, request_body, response_status, response_body, duration_ms, outcome, reason, source_ip)
      SELECT v.direction, v.delivery_id, v.event_type, v.entity_type, v.entity_id, v.endpoint, COALESCE(v.method, 'POST'), v.attempt,
        COALESCE(v.headers, '{}'::jsonb), v.body, v.status, v.response, v.duration_ms, v.outcome, v.reason, v.source_ip
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[],
          $9::jsonb[], $10::text[], $11::int[], $12::text[], $13::int[], $14::text[], $15::text[], $16::text[])
        AS v(direction, delivery_id, event_type, entity_type, entity_id, endpoint, method, attempt,
          headers, body, status, response, duration_ms, outcome, reason, source_ip)`,
    [
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
    ],
  );
}

function normalise(entry: WebhookLogInput): Partial<WebhookLog> {
  return {
    ...entry,
    requestBody: truncate(entry.requestBody),
    responseBody: truncate(entry.responseBody),
    reason: entry.reason ? entry.reason.slice(0, 2000) : entry.reason,
  };
}

export function truncate(value: string | null | undefined, max = MAX_BODY_CHARS): string | null {
  if (value === undefined || value === null) return null;
  // Postgres text cannot hold NUL.
  value = value.replace(/\u0000/g, '\uFFFD');
  return value.length > max ? `${value.slice(0, max)}…[truncated ${value.length - max} chars]` : value;
}
