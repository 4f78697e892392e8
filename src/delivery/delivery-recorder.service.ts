import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { truncate } from '../audit/audit-log.service';
import { MicroBatcher } from '../common/batching/micro-batcher';
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
  requestBody: string;
  responseBody: string | null;
}

const MAX_BATCH = 500;

/**
 * Writes attempt records with group commit: records arriving while a write is in flight are
 * written together in the next one (multi-row statements, one transaction). `record()`
 * resolves only once its rows are committed, so a delivery is never reported before its
 * audit trail is durable. A failed write is retried with backoff and never re-sends the webhook.
 */
@Injectable()
export class DeliveryRecorderService implements BeforeApplicationShutdown {
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
          const wait = Math.min(30_000, 200 * 2 ** Math.min(attempt, 8));
          this.logger.error({ err: error, retry_in_ms: wait }, 'Could not write delivery audit rows; retrying (the webhooks are not re-sent)');
          return wait;
        },
      },
    );
  }

  record(record: AttemptRecord): Promise<void> {
    return this.batcher.submit(record);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.batcher.drained();
  }
}

/** The three multi-row statements of one batch. */
export async function writeAttempts(manager: EntityManager, records: AttemptRecord[]): Promise<void> {
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
    [col((r) => r.id), col((r) => r.status), col((r) => r.attempt), col((r) => r.statusCode), col((r) => r.error), col((r) => r.scheduledDelayMs), col((r) => r.targetUrl)],
  );
  await manager.query(
    `INSERT INTO webhook_retry_history (delivery_id, attempt, outcome, status_code, error, duration_ms, scheduled_delay_ms)
      SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[], $5::text[], $6::int[], $7::int[])`,
    [col((r) => r.id), col((r) => r.attempt), col((r) => r.status), col((r) => r.statusCode), col((r) => r.error), col((r) => r.durationMs), col((r) => r.scheduledDelayMs)],
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
      col((r) => truncate(r.requestBody)),
      col((r) => r.statusCode),
      col((r) => truncate(r.responseBody)),
      col((r) => r.durationMs),
      col((r) => r.status),
      col((r) => r.error),
    ],
  );
}

