import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { WebhookLog } from './webhook-log.entity';

export type WebhookLogInput = Omit<Partial<WebhookLog>, 'id' | 'createdAt'> & Pick<WebhookLog, 'direction' | 'endpoint' | 'outcome'>;

const MAX_BODY_CHARS = 8 * 1024;

/** Writes the `webhook_logs` audit trail. Bodies are truncated to 8 KB; callers pass headers already redacted. */
@Injectable()
export class AuditLogService {
  private readonly logger = new Logger(AuditLogService.name);

  constructor(@InjectRepository(WebhookLog) private readonly logs: Repository<WebhookLog>) {}

  /** Inserts one row, inside `manager`'s transaction when given. */
  async record(entry: WebhookLogInput, manager?: EntityManager): Promise<void> {
    const repo = manager ? manager.getRepository(WebhookLog) : this.logs;
    await repo.insert(this.normalise(entry));
  }

  /** Like `record`, but a failure is logged instead of thrown: for paths where auditing must not change the answer. */
  async recordSafely(entry: WebhookLogInput): Promise<void> {
    try {
      await this.record(entry);
    } catch (error) {
      this.logger.warn({ err: error, endpoint: entry.endpoint, outcome: entry.outcome }, 'Could not write webhook_logs row');
    }
  }

  private normalise(entry: WebhookLogInput): Partial<WebhookLog> {
    return {
      ...entry,
      requestBody: truncate(entry.requestBody),
      responseBody: truncate(entry.responseBody),
      reason: entry.reason ? entry.reason.slice(0, 2000) : entry.reason,
    };
  }
}

export function truncate(value: string | null | undefined, max = MAX_BODY_CHARS): string | null {
  if (value === undefined || value === null) return null;
  return value.length > max ? `${value.slice(0, max)}…[truncated ${value.length - max} chars]` : value;
}
