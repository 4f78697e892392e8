import { BeforeApplicationShutdown, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { BatcherClosedError, MicroBatcher } from '../common/batching/micro-batcher';
import { isRowFailure, loggableError, refusalNote, writeRetryDelay } from '../common/batching/write-failures';
import { sanitizeJson, sanitizeNullableText, sanitizeText, TEXT_LIMITS } from '../common/text/sanitize-text';
import { WebhookLog } from './webhook-log.entity';

export type WebhookLogInput = Omit<Partial<WebhookLog>, 'id' | 'createdAt'> & Pick<WebhookLog, 'direction' | 'endpoint' | 'outcome'>;

/** Tries while the database is unreachable before a grouped row is given up (logged). */
const UNAVAILABLE_ATTEMPTS = 5;
/** Once shutdown begins, rows still waiting to be written get this long. */
const DRAIN_MS = 10_000;
const INT_MAX = 2_147_483_647;

/**
 * Writes the `webhook_logs` audit trail. Every text is made storable and bounded first (see
 * sanitize-text.ts: bodies 8 KB, reasons 2000 chars, other fields 1 KB); callers pass headers
 * already redacted. Rows written with `recordSafely` are grouped into multi-row inserts; a group
 * Postgres refuses is split until the refused row is alone, which is then written reduced
 * (ids, status, outcome; texts replaced by a note) or logged, so it never costs the others.
 */
@Injectable()
export class AuditLogService implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditLogService.name);
  private readonly batcher: MicroBatcher<Partial<WebhookLog>, void>;

  constructor(@InjectRepository(WebhookLog) private readonly logs: Repository<WebhookLog>) {
    this.batcher = new MicroBatcher<Partial<WebhookLog>, void>(
      async (rows) => {
        await insertRows(this.logs.manager, rows);
        return rows.map(() => undefined);
      },
      {
        maxBatch: 500,
        concurrency: 2,
        retryDelay: (error, attempt) => writeRetryDelay(error, attempt, UNAVAILABLE_ATTEMPTS),
        splitOn: isRowFailure,
        onItemFailure: (row, error) => this.insertReduced(row, error),
        onAbandoned: (rows) =>
          this.logger.warn(
            { rows: rows.map((r) => ({ endpoint: r.endpoint, outcome: r.outcome, delivery_id: r.deliveryId })) },
            `Shutting down: ${rows.length} webhook_logs row(s) not written in time`,
          ),
      },
    );
  }

  /** Inserts one row now, inside `manager`'s transaction when given. */
  async record(entry: WebhookLogInput, manager?: EntityManager): Promise<void> {
    const repo = manager ? manager.getRepository(WebhookLog) : this.logs;
    await repo.insert(normalise(entry) as QueryDeepPartialEntity<WebhookLog>);
  }

  /**
   * Queues the row for the next grouped insert; a failure is logged instead of thrown: for
   * paths where auditing must not change the answer.
   */
  async recordSafely(entry: WebhookLogInput): Promise<void> {
    try {
      await this.batcher.submit(normalise(entry));
    } catch (error) {
      // Rows given up at shutdown are logged together by onAbandoned.
      if (!(error instanceof BatcherClosedError))
        this.logger.warn(
          { err: loggableError(error), endpoint: sanitizeText(entry.endpoint, 200), outcome: entry.outcome },
          'Could not write webhook_logs row',
        );
    }
  }

  /** Shutdown has begun: from now on, writing is bounded by DRAIN_MS. */
  onModuleDestroy(): void {
    void this.batcher.closeWithin(DRAIN_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.batcher.closeWithin(DRAIN_MS);
  }

  /** The row was refused alone: inserted again without anything that could have caused it. */
  private async insertReduced(row: Partial<WebhookLog>, error: unknown): Promise<void> {
    await insertRows(this.logs.manager, [reduced(row, error)]);
    this.logger.warn(
      { err: loggableError(error), endpoint: row.endpoint, outcome: row.outcome, delivery_id: row.deliveryId },
      'The database refused a webhook_logs row; written without its texts',
    );
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

/** The row with every text Postgres can store, bounded. Fields left out stay left out (column defaults). */
function normalise(entry: WebhookLogInput): Partial<WebhookLog> {
  const field = (value: string | null | undefined) => (value === undefined ? undefined : sanitizeNullableText(value, TEXT_LIMITS.field));
  return {
    ...entry,
    endpoint: sanitizeText(entry.endpoint, TEXT_LIMITS.field),
    outcome: sanitizeText(entry.outcome, TEXT_LIMITS.field),
    method: field(entry.method) ?? undefined,
    deliveryId: field(entry.deliveryId),
    eventType: field(entry.eventType),
    entityType: field(entry.entityType),
    entityId: field(entry.entityId),
    sourceIp: field(entry.sourceIp),
    requestHeaders: entry.requestHeaders === undefined ? undefined : sanitizeJson(entry.requestHeaders),
    requestBody: truncate(entry.requestBody),
    responseBody: truncate(entry.responseBody),
    reason: entry.reason === undefined ? undefined : sanitizeNullableText(entry.reason, TEXT_LIMITS.reason),
  };
}

/** Only what identifies the row and its outcome: texts replaced by a note, numbers dropped unless in range. */
function reduced(row: Partial<WebhookLog>, error: unknown): Partial<WebhookLog> {
  const inRange = (n: number | null | undefined) => (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= INT_MAX ? n : null);
  return {
    direction: row.direction,
    endpoint: row.endpoint,
    outcome: row.outcome,
    method: row.method,
    deliveryId: row.deliveryId,
    eventType: row.eventType,
    entityType: row.entityType,
    entityId: row.entityId,
    sourceIp: row.sourceIp,
    responseStatus: inRange(row.responseStatus),
    reason: refusalNote(error),
  };
}

/** A body as stored: storable, at most 8 KB (kept for callers of the old helper; see sanitize-text.ts). */
export function truncate(value: string | null | undefined, max: number = TEXT_LIMITS.body): string | null {
  return sanitizeNullableText(value, max);
}
