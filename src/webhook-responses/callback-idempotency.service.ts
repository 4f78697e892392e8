import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { ConflictError } from '../common/errors/app-errors';
import { CallbackResult } from './callback-result';
import { ProcessedCallback } from './processed-callback.entity';

export interface AppliedCallback extends CallbackResult {
  /** True when this is a repeat of a callback already applied: nothing was changed this time. */
  replayed: boolean;
}

/**
 * Applies a callback in one transaction, exactly once per idempotency key (`X-Webhook-Id`):
 * the key and the answer are stored in the same transaction as the change, so a repeat (n8n
 * retrying, a network duplicate, two concurrent copies) gets the stored answer and changes nothing.
 */
@Injectable()
export class CallbackIdempotencyService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * `atomic: true` declares that `work` is a single statement: without a key it then runs in
   * autocommit (one round trip instead of three); with a key it still shares a transaction with
   * the stored answer.
   */
  async apply(
    endpoint: string,
    key: string | undefined,
    work: (manager: EntityManager) => Promise<CallbackResult>,
    options: { atomic?: boolean } = {},
  ): Promise<AppliedCallback> {
    if (key) {
      const stored = await this.find(endpoint, key);
      if (stored) return stored;
    } else if (options.atomic) {
      return { ...(await work(this.dataSource.manager)), replayed: false };
    }
    try {
      const result = await this.dataSource.transaction(async (manager) => {
        const outcome = await work(manager);
        if (key)
          await manager.query(`INSERT INTO webhook_callbacks (idempotency_key, endpoint, status_code, response) VALUES ($1, $2, $3, $4)`, [
            key,
            endpoint,
            outcome.status,
            JSON.stringify(outcome.body),
          ]);
        return outcome;
      });
      return { ...result, replayed: false };
    } catch (error) {
      // A concurrent copy with the same key committed first: answer what it answered.
      const stored = key && isUniqueViolation(error) ? await this.find(endpoint, key) : undefined;
      if (stored) return stored;
      throw error;
    }
  }

  private async find(endpoint: string, key: string): Promise<AppliedCallback | undefined> {
    const stored = await this.dataSource.getRepository(ProcessedCallback).findOneBy({ idempotencyKey: key });
    if (!stored) return undefined;
    if (stored.endpoint !== endpoint) throw new ConflictError(`X-Webhook-Id ${key} was already used for ${stored.endpoint}`, { endpoint: stored.endpoint });
    return { status: stored.statusCode, body: stored.response, replayed: true };
  }
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error as QueryFailedError & { driverError?: { code?: string } }).driverError?.code === '23505';
}
