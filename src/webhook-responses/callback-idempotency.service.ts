import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppError, ConflictError, IdempotencyKeyReusedError } from '../common/errors/app-errors';
import { isDatabaseUnavailable } from '../database/postgres-errors';
import { CallbackResult } from './callback-result';
import { CallbackRepository, StoredCallbackRow } from './callback.repository';
import { IdempotencyKey } from './idempotency-key';

export interface AppliedCallback extends CallbackResult {
  /** True when this is a repeat of a callback already applied: nothing was changed this time. */
  replayed: boolean;
}

/**
 * Applies a callback in one transaction, exactly once per idempotency key (`X-Webhook-Id`):
 * the key, the SHA-256 of the signed body and the answer are stored in the same transaction as
 * the change, so a repeat (n8n retrying, a network duplicate, two concurrent copies) gets the
 * stored answer and changes nothing. A key names one request: sent again with another body
 * (another decision, another demo, another item of the same n8n node) it is refused with 422
 * `idempotency_key_reused` and changes nothing, instead of being told the first request's answer.
 */
@Injectable()
export class CallbackIdempotencyService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly callbacks: CallbackRepository,
  ) {}

  /**
   * `options.standalone` applies the same change without a transaction of ours (it commits on its
   * own, atomically: e.g. a single statement): used instead of `work` when there is no key; with
   * a key, `work` still shares a transaction with the stored answer.
   */
  async apply(
    endpoint: string,
    idem: IdempotencyKey | undefined,
    work: (manager: EntityManager) => Promise<CallbackResult>,
    options: { standalone?: () => Promise<CallbackResult> } = {},
  ): Promise<AppliedCallback> {
    if (idem) {
      const stored = await this.find(endpoint, idem);
      if (stored) return stored;
    } else if (options.standalone) {
      return { ...(await options.standalone()), replayed: false };
    }
    try {
      const result = await this.dataSource.transaction(async (manager) => {
        const outcome = await work(manager);
        if (idem) await this.store(manager, endpoint, [{ ...idem, result: outcome }]);
        return outcome;
      });
      return { ...result, replayed: false };
    } catch (error) {
      // A concurrent copy with the same key may have committed first: storing the key then fails
      // (unique violation), or, when both touched the same rows, this one waited for it and now
      // contradicts its result (e.g. a 409 for the other decision). Answer as if it had come
      // first: its answer for the same body, 422 for another one, 409 for another endpoint.
      const stored = idem && !isDatabaseUnavailable(error) ? await this.find(endpoint, idem) : undefined;
      if (stored) return stored;
      throw error;
    }
  }

  /**
   * What each of many keyed requests is answered from the store (for callbacks applied in
   * groups), in the order given: a repeat's stored answer, the error to throw (the key was used
   * with another body, or for another endpoint), or undefined when the key was not applied yet.
   */
  async storedAnswers(endpoint: string, requests: IdempotencyKey[]): Promise<Array<AppliedCallback | AppError | undefined>> {
    const rows = await this.callbacks.findByKeys(requests.map((r) => r.key));
    const byKey = new Map(rows.map((row) => [row.idempotency_key, row]));
    return requests.map((request) => {
      const row = byKey.get(request.key);
      return row && answer(endpoint, request, row);
    });
  }

  /** Stores the answers of callbacks applied in `manager`'s transaction (a repeated key fails it: unique violation). */
  async store(manager: EntityManager, endpoint: string, entries: Array<IdempotencyKey & { result: CallbackResult }>): Promise<void> {
    await this.callbacks.insert(
      manager,
      endpoint,
      entries.map((e) => ({ key: e.key, bodySha256: e.bodySha256, status: e.result.status, body: e.result.body })),
    );
  }

  private async find(endpoint: string, request: IdempotencyKey): Promise<AppliedCallback | undefined> {
    const stored = await this.callbacks.findByKey(request.key);
    if (!stored) return undefined;
    const found = answer(endpoint, request, stored);
    if (found instanceof AppError) throw found;
    return found;
  }
}

/**
 * What a request whose key is stored is answered: a conflict when the key was used for another
 * endpoint, a refusal when it came with another body, else the stored answer. A row without a
 * hash was stored before hashes were kept (migration CallbackBodyHash): its body is unknown, and
 * it is taken as the same body, as every repeat was before, rather than refuse a genuine retry.
 */
function answer(endpoint: string, request: IdempotencyKey, stored: StoredCallbackRow): AppliedCallback | AppError {
  if (stored.endpoint !== endpoint)
    return new ConflictError(`X-Webhook-Id ${stored.idempotency_key} was already used for ${stored.endpoint}`, {
      endpoint: stored.endpoint,
    });
  if (stored.body_sha256 !== null && stored.body_sha256 !== request.bodySha256)
    return new IdempotencyKeyReusedError(stored.idempotency_key);
  return { status: stored.status_code, body: stored.response, replayed: true };
}
