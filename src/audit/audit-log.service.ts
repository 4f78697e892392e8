import { BeforeApplicationShutdown, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { BatcherClosedError, MicroBatcher } from '../common/batching/micro-batcher';
import { isRowFailure, loggableError, refusalNote, writeRetryDelay } from '../common/batching/write-failures';
import { sanitizeJson, sanitizeNullableText, sanitizeText, TEXT_LIMITS } from '../common/text/sanitize-text';
import { NewWebhookLog, WebhookLogRepository } from './webhook-log.repository';

/** Tries while the database is unreachable before a grouped row is given up (logged). */
const UNAVAILABLE_ATTEMPTS = 5;
/** Once shutdown begins, rows still waiting to be written get this long. */
const DRAIN_MS = 10_000;
const INT_MAX = 2_147_483_647;

/**
 * Writes the incoming rows of the `webhook_logs` audit trail (callbacks, refusals; outgoing rows
 * come from the delivery recorder, through the same WebhookLogRepository). Every text is made
 * storable and bounded first (see sanitize-text.ts: bodies 8 KB, reasons 2000 chars, other fields
 * 1 KB); callers pass headers already redacted. Rows written with `recordSafely` are grouped into multi-row inserts; a group
 * Postgres refuses is split until the refused row is alone, which is then written reduced
 * (ids, status, outcome; texts replaced by a note) or logged, so it never costs the others.
 */
@Injectable()
export class AuditLogService implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditLogService.name);
  private readonly batcher: MicroBatcher<NewWebhookLog, void>;

  constructor(private readonly logs: WebhookLogRepository) {
    this.batcher = new MicroBatcher<NewWebhookLog, void>(
      async (rows) => {
        await this.logs.insertMany(rows);
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

  /**
   * Queues the row for the next grouped insert; a failure is logged instead of thrown: for
   * paths where auditing must not change the answer.
   */
  async recordSafely(entry: NewWebhookLog): Promise<void> {
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
  private async insertReduced(row: NewWebhookLog, error: unknown): Promise<void> {
    await this.logs.insertMany([reduced(row, error)]);
    this.logger.warn(
      { err: loggableError(error), endpoint: row.endpoint, outcome: row.outcome, delivery_id: row.deliveryId },
      'The database refused a webhook_logs row; written without its texts',
    );
  }
}

/** The row with every text Postgres can store, bounded. Fields left out stay left out (column defaults). */
function normalise(entry: NewWebhookLog): NewWebhookLog {
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
    requestBody: sanitizeNullableText(entry.requestBody, TEXT_LIMITS.body),
    responseBody: sanitizeNullableText(entry.responseBody, TEXT_LIMITS.body),
    reason: entry.reason === undefined ? undefined : sanitizeNullableText(entry.reason, TEXT_LIMITS.reason),
  };
}

/** Only what identifies the row and its outcome: texts replaced by a note, numbers dropped unless in range. */
function reduced(row: NewWebhookLog, error: unknown): NewWebhookLog {
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
