import { BeforeApplicationShutdown, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { MicroBatcher } from '../common/batching/micro-batcher';
import { isRowFailure, loggableError, refusalNote, writeRetryDelay } from '../common/batching/write-failures';
import { isDatabaseUnavailable } from '../common/filters/all-exceptions.filter';
import { sanitizeJson, sanitizeNullableText, sanitizeText, TEXT_LIMITS } from '../common/text/sanitize-text';
import type { DeliveryStatus } from '../outbox/outbox-event.entity';

/** Everything one delivery attempt leaves behind: the outbox row's new state, a history row and a log row. */
export interface AttemptRecord {
  id: string;
  attempt: number;
  status: Extract<DeliveryStatus, 'sent' | 'retrying' | 'failed' | 'cancelled'>;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  scheduledDelayMs: number | null;
  targetUrl: string;
  eventType: string;
  entityType: string;
  entityId: string;
  requestHeaders: Record<string, string>;
  requestBody: string | null;
  responseBody: string | null;
}

/**
 * The attempt could not be recorded: the database stayed unreachable until shutdown gave up
 * waiting (RECORDER_DRAIN_MS). The delivery is not finished: its job goes back to the queue.
 */
export class AttemptNotRecordedError extends Error {
  constructor(
    readonly deliveryId: string,
    readonly reason: unknown,
  ) {
    super(`Attempt of delivery ${deliveryId} not recorded: ${reason instanceof Error ? reason.message : String(reason)}`);
    this.name = 'AttemptNotRecordedError';
  }
}

const MAX_BATCH = 500;
/** Once shutdown begins, attempts still waiting to be written get this long; then they are given up. */
export const RECORDER_DRAIN_MS = 10_000;
const INT_MAX = 2_147_483_647;

/**
 * Writes attempt records with group commit: records arriving while a write is in flight are
 * written together in the next one (three multi-row statements, one transaction). `record()`
 * resolves only once its rows are committed, so a delivery is never reported before its
 * audit trail is durable. The webhook is never re-sent because of a failed write:
 * - every text is made storable first (NUL, invalid UTF-8, length): see sanitize-text.ts;
 * - a batch Postgres refuses is split until the refused record is alone, which is then written
 *   reduced (ids, status, outcome, no texts) or, if even that is refused, logged and dropped;
 * - while the database is unreachable the batch is retried with backoff, until shutdown: then
 *   RECORDER_DRAIN_MS more, after which `record()` rejects with AttemptNotRecordedError and the
 *   delivery processor hands the job back to the queue (delivered again, by this or another worker).
 */
@Injectable()
export class DeliveryRecorderService implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryRecorderService.name);
  private readonly batcher: MicroBatcher<AttemptRecord, void>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.batcher = new MicroBatcher<AttemptRecord, void>(
      async (records) => {
        await this.dataSource.transaction((manager) => writeAttempts(manager, records));
        return records.map(() => undefined);
      },
      {
        maxBatch: MAX_BATCH,
        retryDelay: (error, attempt) => {
          const wait = writeRetryDelay(error, attempt);
          if (wait !== undefined)
            this.logger.error(
              { err: loggableError(error), retry_in_ms: wait },
              'Could not write delivery audit rows; retrying (the webhooks are not re-sent)',
            );
          return wait;
        },
        splitOn: isRowFailure,
        onItemFailure: (record, error) => this.writeReduced(record, error),
        onAbandoned: (records) =>
          this.logger.error(
            { deliveries: records.map((r) => ({ delivery_id: r.id, attempt: r.attempt, outcome: r.status, status_code: r.statusCode })) },
            `Shutting down: ${records.length} delivery attempt(s) not recorded in time; their jobs go back to the queue and will be delivered again`,
          ),
      },
    );
  }

  async record(record: AttemptRecord): Promise<void> {
    try {
      await this.batcher.submit(storable(record));
    } catch (error) {
      throw new AttemptNotRecordedError(record.id, error);
    }
  }

  /** Shutdown has begun (this runs before the delivery worker waits for its jobs): from now on, writing is bounded. */
  onModuleDestroy(): void {
    void this.batcher.closeWithin(RECORDER_DRAIN_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.batcher.closeWithin(RECORDER_DRAIN_MS);
  }

  /** The record was refused alone: written again without anything that could have caused it. */
  private async writeReduced(record: AttemptRecord, error: unknown): Promise<void> {
    const ids = { delivery_id: record.id, attempt: record.attempt, outcome: record.status, err: loggableError(error) };
    try {
      await this.dataSource.transaction((manager) => writeAttempts(manager, [reduced(record, error)]));
      this.logger.error(ids, 'The database refused a delivery attempt record; written without its texts');
    } catch (second) {
      if (isDatabaseUnavailable(second)) throw second;
      this.logger.error(
        { ...ids, reduced_err: loggableError(second) },
        'The database refused a delivery attempt record, even reduced; not recorded',
      );
    }
  }
}

/** The record with every text Postgres can store, bounded. */
function storable(r: AttemptRecord): AttemptRecord {
  return {
    ...r,
    error: sanitizeNullableText(r.error, TEXT_LIMITS.reason),
    targetUrl: sanitizeText(r.targetUrl, TEXT_LIMITS.field),
    eventType: sanitizeText(r.eventType, TEXT_LIMITS.field),
    entityType: sanitizeText(r.entityType, TEXT_LIMITS.field),
    entityId: sanitizeText(r.entityId, TEXT_LIMITS.field),
    requestHeaders: sanitizeJson(r.requestHeaders),
    requestBody: sanitizeNullableText(r.requestBody, TEXT_LIMITS.body),
    responseBody: sanitizeNullableText(r.responseBody, TEXT_LIMITS.body),
  };
}

/** Only ids, status and outcome: texts replaced by a note, numbers kept in range. */
function reduced(r: AttemptRecord, error: unknown): AttemptRecord {
  return {
    ...r,
    attempt: clamp(r.attempt),
    statusCode: r.statusCode === null ? null : clamp(r.statusCode),
    durationMs: clamp(r.durationMs),
    scheduledDelayMs: r.scheduledDelayMs === null ? null : clamp(r.scheduledDelayMs),
    error: refusalNote(error),
    requestHeaders: {},
    requestBody: null,
    responseBody: null,
  };
}

function clamp(n: number): number {
  return Number.isFinite(n) ? Math.min(INT_MAX, Math.max(0, Math.round(n))) : 0;
}

/** The three multi-row statements of one batch. */
async function writeAttempts(manager: EntityManager, records: AttemptRecord[]): Promise<void> {
  const col = <T>(f: (r: AttemptRecord) => T) => records.map(f);
  await manager.query(
    `UPDATE webhook_queue q SET
        status = v.status::delivery_status,
        attempts = GREATEST(q.attempts, v.attempt),
        last_status_code = v.status_code,
        last_error = v.error,
        next_retry_at = CASE WHEN v.status = 'retrying' THEN now() + make_interval(secs => v.delay_ms / 1000.0) ELSE NULL END,
        sent_at = CASE WHEN v.status = 'sent' THEN now() ELSE q.sent_at END,
        target_url = v.target_url,
        updated_at = now()
      FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::text[], $6::int[], $7::text[])
        AS v(id, status, attempt, status_code, error, delay_ms, target_url)
      WHERE q.id = v.id`,
    [
      col((r) => r.id),
      col((r) => r.status),
      col((r) => r.attempt),
      col((r) => r.statusCode),
      col((r) => r.error),
      col((r) => r.scheduledDelayMs),
      col((r) => r.targetUrl),
    ],
  );
  await manager.query(
    `INSERT INTO webhook_retry_history (delivery_id, attempt, outcome, status_code, error, duration_ms, scheduled_delay_ms)
      SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[], $5::text[], $6::int[], $7::int[])`,
    [
      col((r) => r.id),
      col((r) => r.attempt),
      col((r) => r.status),
      col((r) => r.statusCode),
      col((r) => r.error),
      col((r) => r.durationMs),
      col((r) => r.scheduledDelayMs),
    ],
  );
  await manager.query(
    `INSERT INTO webhook_logs (direction, delivery_id, event_type, entity_type, entity_id, endpoint, method, attempt,
        request_headers, request_body, response_status, response_body, duration_ms, outcome, reason)
      SELECT 'outgoing', v.id, v.event_type, v.entity_type, v.entity_id, v.endpoint, 'POST', v.attempt,
        v.headers, v.body, v.status_code, v.response, v.duration_ms, v.outcome, v.error
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::jsonb[], $8::text[], $9::int[], $10::text[], $11::int[], $12::text[], $13::text[])
        AS v(id, event_type, entity_type, entity_id, endpoint, attempt, headers, body, status_code, response, duration_ms, outcome, error)`,
    [
      col((r) => r.id),
      col((r) => r.eventType),
      col((r) => r.entityType),
      col((r) => r.entityId),
      col((r) => r.targetUrl),
      col((r) => r.attempt),
      col((r) => JSON.stringify(r.requestHeaders)),
      col((r) => r.requestBody),
      col((r) => r.statusCode),
      col((r) => r.responseBody),
      col((r) => r.durationMs),
      col((r) => r.status),
      col((r) => r.error),
    ],
  );
}
