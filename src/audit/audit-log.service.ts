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
        await this.logs.insert(rows as QueryDeepPartialEntity<WebhookLog>[]);
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
