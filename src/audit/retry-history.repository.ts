import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PreparedStatement } from '../database/prepared-statement';
import type { RetryHistory } from './retry-history.entity';

/**
 * One attempt to write. `createdAt` (the partition key; now when left out) is given by the
 * delivery recorder once per attempt, so that the batch written again carries the same value.
 */
export type NewRetryHistory = Pick<
  RetryHistory,
  'deliveryId' | 'attempt' | 'outcome' | 'statusCode' | 'error' | 'durationMs' | 'scheduledDelayMs'
> & { createdAt?: Date };

/**
 * How far before its delivery's creation an attempt row is looked for when checking that it is
 * not written twice: attempts are stamped by the worker's clock, deliveries by the database's;
 * an hour covers any clock skew, and the check stays within the partitions of those days.
 */
export const ATTEMPT_LOOKBACK = `interval '1 hour'`;

/** One attempt as the operations API shows it. */
export interface RetryHistoryRow {
  attempt: number;
  outcome: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  scheduled_delay_ms: number | null;
  created_at: Date;
}

/** One minute of attempts (the console's charts). */
export interface AttemptMinute {
  minute: Date;
  sent: number;
  retrying: number;
  failed: number;
  /** 95th percentile of the minute's attempt durations; null when the minute had none. */
  p95_ms: number | null;
}

export interface AttemptCounts {
  deliveries: number;
  failures: number;
}

/** Prepared once per connection (see PreparedStatement): it runs for every batch of attempts. */
const INSERT_HISTORY = new PreparedStatement(
  'retry_history_insert',
  `INSERT INTO webhook_retry_history (delivery_id, attempt, outcome, status_code, error, duration_ms, scheduled_delay_ms, created_at)
        SELECT v.delivery_id, v.attempt, v.outcome, v.status_code, v.error, v.duration_ms, v.scheduled_delay_ms, COALESCE(v.created_at, now())
        FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[], $5::text[], $6::int[], $7::int[], $8::timestamptz[])
          AS v(delivery_id, attempt, outcome, status_code, error, duration_ms, scheduled_delay_ms, created_at)
        LEFT JOIN LATERAL (SELECT created_at FROM webhook_queue WHERE id = v.delivery_id) q ON true
        WHERE NOT EXISTS (SELECT 1 FROM webhook_retry_history h
          WHERE h.delivery_id = v.delivery_id AND h.attempt = v.attempt AND h.created_at >= q.created_at - ${ATTEMPT_LOOKBACK} OFFSET 0)
        ON CONFLICT DO NOTHING`,
);

/**
 * The only code that writes `webhook_retry_history` (one row per delivery attempt, written by the
 * delivery recorder in its batch transaction) and reads it with SQL. Rows are deleted with their
 * delivery (DeliveryRepository.deleteFinished, and the foreign key cascade).
 */
@Injectable()
export class RetryHistoryRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * One multi-row INSERT through `manager`'s transaction; an attempt already written is not written
   * again. The table is partitioned by created_at, so its unique index is on (delivery_id, attempt,
   * created_at): it catches the same batch written again (same created_at, even while the first
   * write is not yet committed), and NOT EXISTS catches the attempt written at another time (the
   * `interrupted` record and a late outcome of the same attempt), looking only at the partitions
   * since the delivery was created (`OFFSET 0` keeps it a subquery run per row, whose partitions
   * are pruned at run time by that row's delivery; as a join it would visit every partition).
   */
  async insertMany(rows: NewRetryHistory[], manager: EntityManager): Promise<void> {
    const col = <T>(f: (r: NewRetryHistory) => T) => rows.map(f);
    await INSERT_HISTORY.run(manager, [
      col((r) => r.deliveryId),
      col((r) => r.attempt),
      col((r) => r.outcome),
      col((r) => r.statusCode),
      col((r) => r.error),
      col((r) => r.durationMs),
      col((r) => r.scheduledDelayMs),
      col((r) => r.createdAt ?? null),
    ]);
  }

  /** The attempts of one delivery, oldest first. */
  forDelivery(deliveryId: string): Promise<RetryHistoryRow[]> {
    return this.dataSource.query<RetryHistoryRow[]>(
      `SELECT attempt, outcome, status_code, error, duration_ms, scheduled_delay_ms, created_at
        FROM webhook_retry_history WHERE delivery_id = $1 ORDER BY created_at, id`,
      [deliveryId],
    );
  }

  /** Attempts sent and failed (retrying or failed) over the last 1, 5 and 15 minutes. */
  async recentCounts(): Promise<{ last1m: AttemptCounts; last5m: AttemptCounts; last15m: AttemptCounts }> {
    const [row] = await this.dataSource.query<{ d1: number; f1: number; d5: number; f5: number; d15: number; f15: number }[]>(
      `SELECT
          count(*) FILTER (WHERE outcome = 'sent' AND created_at > now() - interval '1 minute')::int AS d1,
          count(*) FILTER (WHERE outcome IN ('retrying', 'failed') AND created_at > now() - interval '1 minute')::int AS f1,
          count(*) FILTER (WHERE outcome = 'sent' AND created_at > now() - interval '5 minutes')::int AS d5,
          count(*) FILTER (WHERE outcome IN ('retrying', 'failed') AND created_at > now() - interval '5 minutes')::int AS f5,
          count(*) FILTER (WHERE outcome = 'sent')::int AS d15,
          count(*) FILTER (WHERE outcome IN ('retrying', 'failed'))::int AS f15
        FROM webhook_retry_history WHERE created_at > now() - interval '15 minutes'`,
    );
    // An aggregate without GROUP BY always answers one row.
    const n = row ?? { d1: 0, f1: 0, d5: 0, f5: 0, d15: 0, f15: 0 };
    return {
      last1m: { deliveries: n.d1, failures: n.f1 },
      last5m: { deliveries: n.d5, failures: n.f5 },
      last15m: { deliveries: n.d15, failures: n.f15 },
    };
  }

  /**
   * The last `minutes` whole minutes up to the current one, oldest first, every minute present:
   * attempts that ended sent, retrying and failed, and the p95 of their durations.
   */
  perMinute(minutes: number): Promise<AttemptMinute[]> {
    return this.dataSource.query<AttemptMinute[]>(
      `WITH m AS (
          SELECT generate_series(date_trunc('minute', now()) - make_interval(mins => $1::int - 1), date_trunc('minute', now()), interval '1 minute') AS minute)
        SELECT m.minute,
          count(h.id) FILTER (WHERE h.outcome = 'sent')::int AS sent,
          count(h.id) FILTER (WHERE h.outcome = 'retrying')::int AS retrying,
          count(h.id) FILTER (WHERE h.outcome = 'failed')::int AS failed,
          (percentile_cont(0.95) WITHIN GROUP (ORDER BY h.duration_ms))::float AS p95_ms
        FROM m LEFT JOIN webhook_retry_history h ON h.created_at >= m.minute AND h.created_at < m.minute + interval '1 minute'
        GROUP BY m.minute ORDER BY m.minute`,
      [minutes],
    );
  }
}
