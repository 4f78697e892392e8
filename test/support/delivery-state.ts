import { Pool } from 'pg';

/** One attempt as `webhook_retry_history` recorded it. */
export interface HistoryAttempt {
  attempt: number;
  outcome: string;
  statusCode: number | null;
  scheduledDelayMs: number | null;
}

/** A delivery (`webhook_queue` row) with its whole audit trail, read straight from Postgres. */
export interface DeliveryState {
  id: string;
  /** The event delivered: what the receiver sees as X-Webhook-Id (`event_id`; the row id where that column does not exist). */
  eventId: string;
  eventType: string;
  entityId: string;
  status: string;
  /** `webhook_queue.attempts`. */
  attempts: number;
  /** True for the `workflow_error` events the bridge raises about itself (alerts). */
  isAlert: boolean;
  alertKind: string | null;
  /** `webhook_retry_history`, in insertion order. */
  history: HistoryAttempt[];
  /** `attempt` of each outgoing `webhook_logs` row, in insertion order. */
  logAttempts: number[];
}

/** Statuses in which a delivery is not finished. */
export const UNFINISHED_STATUSES = ['pending', 'queued', 'sending', 'retrying'];

/**
 * Reads deliveries and their audit rows on a connection pool of its own, straight to the test
 * database (not through the app, nor through a proxy a test cuts). Its connections carry the
 * application_name `READER_APPLICATION_NAME`, so a test terminating the app's backends can spare them.
 */
export class DeliveryStateReader {
  static readonly APPLICATION_NAME = 'delivery-state-reader';
  private readonly pool: Pool;

  constructor(databaseUrl: string) {
    this.pool = new Pool({ connectionString: databaseUrl, max: 2, application_name: DeliveryStateReader.APPLICATION_NAME });
    this.pool.on('error', () => undefined);
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pool.query(sql, params)).rows as T[];
  }

  /** Every delivery with its history and outgoing log rows, by delivery id. */
  async all(): Promise<Map<string, DeliveryState>> {
    const rows = await this.query<{
      id: string;
      event_id: string;
      event_type: string;
      entity_id: string;
      status: string;
      attempts: number;
      source: string | null;
      alert_kind: string | null;
      history: HistoryAttempt[] | null;
      log_attempts: number[] | null;
    }>(
      `SELECT q.id, COALESCE(to_jsonb(q)->>'event_id', q.id::text) AS event_id, q.event_type, q.entity_id, q.status, q.attempts,
          q.payload->'data'->>'source' AS source, q.payload->'data'->'alert'->>'kind' AS alert_kind,
          (SELECT json_agg(json_build_object('attempt', h.attempt, 'outcome', h.outcome, 'statusCode', h.status_code,
                  'scheduledDelayMs', h.scheduled_delay_ms) ORDER BY h.id)
             FROM webhook_retry_history h WHERE h.delivery_id = q.id) AS history,
          (SELECT array_agg(l.attempt ORDER BY l.created_at, l.id)
             FROM webhook_logs l WHERE l.direction = 'outgoing' AND l.delivery_id = q.id::text) AS log_attempts
        FROM webhook_queue q`,
    );
    return new Map(
      rows.map((r) => [
        r.id,
        {
          id: r.id,
          eventId: r.event_id,
          eventType: r.event_type,
          entityId: r.entity_id,
          status: r.status,
          attempts: r.attempts,
          isAlert: r.event_type === 'workflow_error' && r.source === 'webhook-bridge',
          alertKind: r.alert_kind,
          history: r.history ?? [],
          logAttempts: r.log_attempts ?? [],
        },
      ]),
    );
  }

  /** How many deliveries are in each status. */
  async statusCounts(): Promise<Record<string, number>> {
    const rows = await this.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM webhook_queue GROUP BY status`);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /** Ids of the deliveries in one of `statuses`. */
  async idsWithStatus(statuses: string[]): Promise<string[]> {
    const rows = await this.query<{ id: string }>(`SELECT id FROM webhook_queue WHERE status::text = ANY($1::text[])`, [statuses]);
    return rows.map((r) => r.id);
  }

  async unfinished(): Promise<number> {
    return (await this.idsWithStatus(UNFINISHED_STATUSES)).length;
  }

  /**
   * Terminates every other backend connected to `database` (the app's pools), as an operator's
   * `pg_terminate_backend` or a failover would; this reader's own connections are spared.
   * Returns how many were terminated.
   */
  async terminateOtherBackends(database: string): Promise<number> {
    const [row] = await this.query<{ n: number }>(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
        WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name <> $2`,
      [database, DeliveryStateReader.APPLICATION_NAME],
    );
    return row?.n ?? 0;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
