import { BeforeApplicationShutdown, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { RetryHistoryRepository } from '../audit/retry-history.repository';
import { WebhookLogRepository } from '../audit/webhook-log.repository';
import { MicroBatcher } from '../common/batching/micro-batcher';
import { isRowFailure, loggableError, refusalNote, writeRetryDelay } from '../common/batching/write-failures';
import { sanitizeJson, sanitizeNullableText, sanitizeText, TEXT_LIMITS } from '../common/text/sanitize-text';
import { isDatabaseUnavailable } from '../database/postgres-errors';
import { DeliveryRepository } from '../outbox/delivery.repository';
import type { AttemptStatus } from '../outbox/delivery-transitions';
import { SubscriptionHealthService } from './subscription-health.service';

/** Everything one delivery attempt leaves behind: the outbox row's new state, a history row and a log row. */
export interface AttemptRecord {
  id: string;
  /** The subscription the delivery belongs to (its failure streak is kept up to date). */
  subscriptionId?: string;
  attempt: number;
  /** `interrupted`: an attempt found unrecorded by the next claim; only audited, the row is the next attempt's. */
  status: AttemptStatus | 'interrupted';
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
  /**
   * When the recorder took the attempt: the created_at of its audit rows (the partition key), set
   * once so that a batch written again carries the same value and adds nothing.
   */
  recordedAt?: Date;
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

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly deliveries: DeliveryRepository,
    private readonly history: RetryHistoryRepository,
    private readonly logs: WebhookLogRepository,
    private readonly health: SubscriptionHealthService,
  ) {
    this.batcher = new MicroBatcher<AttemptRecord, void>(
      async (records) => {
        await this.dataSource.transaction((manager) => this.writeAttempts(manager, records));
        this.health.afterCommit(records);
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
      await this.batcher.submit({ ...storable(record), recordedAt: record.recordedAt ?? new Date() });
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
      await this.dataSource.transaction((manager) => this.writeAttempts(manager, [reduced(record, error)]));
      this.logger.error(ids, 'The database refused a delivery attempt record; written without its texts');
    } catch (second) {
      if (isDatabaseUnavailable(second)) throw second;
      this.logger.error(
        { ...ids, reduced_err: loggableError(second) },
        'The database refused a delivery attempt record, even reduced; not recorded',
      );
    }
  }

  /** The three multi-row statements of one batch, in one transaction: the rows' new state, the history, the audit log. */
  private async writeAttempts(manager: EntityManager, records: AttemptRecord[]): Promise<void> {
    const finished = records.filter((r): r is AttemptRecord & { status: AttemptStatus } => r.status !== 'interrupted');
    if (finished.length) await this.deliveries.recordAttempts(finished, manager);
    await this.health.note(finished, manager);
    await this.history.insertMany(
      records.map((r) => ({
        deliveryId: r.id,
        attempt: r.attempt,
        outcome: r.status,
        statusCode: r.statusCode,
        error: r.error,
        durationMs: r.durationMs,
        scheduledDelayMs: r.scheduledDelayMs,
        createdAt: r.recordedAt,
      })),
      manager,
    );
    await this.logs.insertMany(
      records.map((r) => ({
        direction: 'outgoing',
        deliveryId: r.id,
        eventType: r.eventType,
        entityType: r.entityType,
        entityId: r.entityId,
        endpoint: r.targetUrl,
        attempt: r.attempt,
        requestHeaders: r.requestHeaders,
        requestBody: r.requestBody,
        responseStatus: r.statusCode,
        responseBody: r.responseBody,
        durationMs: r.durationMs,
        outcome: r.status,
        reason: r.error,
        createdAt: r.recordedAt,
      })),
      manager,
    );
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
