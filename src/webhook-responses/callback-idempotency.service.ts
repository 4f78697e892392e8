import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { ConflictError } from '../common/errors/app-errors';
import { CallbackResult } from './callback-result';

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
   * `options.standalone` applies the same change without a transaction of ours (it commits on its
   * own, atomically: e.g. a single statement): used instead of `work` when there is no key; with
   * a key, `work` still shares a transaction with the stored answer.
   */
  async apply(
    endpoint: string,
    key: string | undefined,
    work: (manager: EntityManager) => Promise<CallbackResult>,
    options: { standalone?: () => Promise<CallbackResult> } = {},
  ): Promise<AppliedCallback> {
    if (key) {
      const stored = await this.find(endpoint, key);
      if (stored) return stored;
    } else if (options.standalone) {
      return { ...(await options.standalone()), replayed: false };
    }
    try {
      const result = await this.dataSource.transaction(async (manager) => {
        const outcome = await work(manager);
        if (key) await this.store(manager, endpoint, [{ key, result: outcome }]);
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

  /**
   * The stored answers for many keys at once (for callbacks applied in groups): a repeat's
   * answer, or the conflict to throw when the key was used for another endpoint. Keys not there
   * were not applied yet.
   */
  async storedAnswers(endpoint: string, keys: string[]): Promise<Map<string, AppliedCallback | ConflictError>> {
    const rows = await this.dataSource.query<StoredRow[]>(
      `SELECT idempotency_key, endpoint, status_code, response FROM webhook_callbacks WHERE idempotency_key = ANY($1::text[])`,
      [keys],
    );
    return new Map(rows.map((row) => [row.idempotency_key, answer(endpoint, row)]));
  }

  /** Stores the answers of callbacks applied in `manager`'s transaction (a repeated key fails it: unique violation). */
  async store(manager: EntityManager, endpoint: string, entries: { key: string; result: CallbackResult }[]): Promise<void> {
    await manager.query(
      `INSERT INTO webhook_callbacks (idempotency_key, endpoint, status_code, response)
        SELECT v.key, $1, v.status, v.response FROM unnest($2::text[], $3::int[], $4::jsonb[]) AS v(key, status, response)`,
      [endpoint, entries.map((e) => e.key), entries.map((e) => e.result.status), entries.map((e) => JSON.stringify(e.result.body))],
    );
  }

  private async find(endpoint: string, key: string): Promise<AppliedCallback | undefined> {
    // Raw SQL: this runs before every callback that carries a key (no ORM work per request).
    const [stored] = await this.dataSource.query<StoredRow[]>(
      `SELECT idempotency_key, endpoint, status_code, response FROM webhook_callbacks WHERE idempotency_key = $1`,
      [key],
    );
    if (!stored) return undefined;
    const found = answer(endpoint, stored);
    if (found instanceof ConflictError) throw found;
    return found;
  }
}

/** What a repeat is answered: the stored answer, or a conflict when the key was used for another endpoint. */
function answer(endpoint: string, stored: StoredRow): AppliedCallback | ConflictError {
  if (stored.endpoint !== endpoint) return new ConflictError(`X-Webhook-Id ${stored.idempotency_key} was already used for ${stored.endpoint}`, { endpoint: stored.endpoint });
  return { status: stored.status_code, body: stored.response, replayed: true };
}

/** A `webhook_callbacks` row (see ProcessedCallback) as the driver returns it. */
interface StoredRow {
  idempotency_key: string;
  endpoint: string;
  status_code: number;
  response: Record<string, unknown>;
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error as QueryFailedError & { driverError?: { code?: string } }).driverError?.code === '23505';
}
