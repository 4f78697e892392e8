import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/** A `webhook_callbacks` row (see ProcessedCallback) as the driver returns it. */
export interface StoredCallbackRow {
  idempotency_key: string;
  endpoint: string;
  body_sha256: string | null;
  status_code: number;
  response: Record<string, unknown>;
}

/** An answer to store under an idempotency key. */
export interface CallbackToStore {
  key: string;
  bodySha256: string;
  status: number;
  body: Record<string, unknown>;
}

const COLUMNS = 'idempotency_key, endpoint, body_sha256, status_code, response';

/**
 * The owner of `webhook_callbacks`, the idempotency store of incoming callbacks. Raw SQL: these
 * run before (and with) every callback that carries a key, so no ORM work per request.
 */
@Injectable()
export class CallbackRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The stored row of one key. */
  async findByKey(key: string): Promise<StoredCallbackRow | undefined> {
    const [stored] = await this.dataSource.query<StoredCallbackRow[]>(
      `SELECT ${COLUMNS} FROM webhook_callbacks WHERE idempotency_key = $1`,
      [key],
    );
    return stored;
  }

  /** The stored rows of many keys, in one statement (keys not stored have no row). */
  findByKeys(keys: string[]): Promise<StoredCallbackRow[]> {
    return this.dataSource.query<StoredCallbackRow[]>(`SELECT ${COLUMNS} FROM webhook_callbacks WHERE idempotency_key = ANY($1::text[])`, [
      [...new Set(keys)],
    ]);
  }

  /** Stores answers in `manager`'s transaction, in one statement (a key already stored fails it: unique violation). */
  async insert(manager: EntityManager, endpoint: string, entries: CallbackToStore[]): Promise<void> {
    await manager.query(
      `INSERT INTO webhook_callbacks (idempotency_key, endpoint, body_sha256, status_code, response)
        SELECT v.key, $1, v.sha, v.status, v.response FROM unnest($2::text[], $3::text[], $4::int[], $5::jsonb[]) AS v(key, sha, status, response)`,
      [
        endpoint,
        entries.map((e) => e.key),
        entries.map((e) => e.bodySha256),
        entries.map((e) => e.status),
        entries.map((e) => JSON.stringify(e.body)),
      ],
    );
  }

  /**
   * Deletes up to `limit` keys created before `cutoff`, oldest first (a range read of
   * idx_webhook_callbacks_created, `SKIP LOCKED`); returns how many. Used by retention (CleanupService).
   */
  async deleteCreatedBefore(cutoff: Date, limit: number): Promise<number> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`Not a row count: ${limit}`);
    const [row] = await this.dataSource.query<{ n: number }[]>(
      `WITH doomed AS (
          SELECT idempotency_key FROM webhook_callbacks WHERE created_at < $1
           ORDER BY created_at LIMIT ${limit} FOR UPDATE SKIP LOCKED),
        gone AS (DELETE FROM webhook_callbacks WHERE idempotency_key IN (SELECT idempotency_key FROM doomed) RETURNING 1)
        SELECT count(*)::int AS n FROM gone`,
      [cutoff],
    );
    return row?.n ?? 0;
  }
}
