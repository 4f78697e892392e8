import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PreparedStatement } from '../database/prepared-statement';
import { returnedRows } from '../database/raw-query';
import type { EventType } from '../events/event-catalog';
import type { QueueableEvent } from '../queue/webhook-queue.service';
import { andFrom, AttemptStatus, fromStatuses, HeldStatus, IN_QUEUE, statusCondition, toStatus } from './delivery-transitions';
import type { DeliveryStatus } from './outbox-event.entity';

/** An event to record: its envelope and what every delivery of it shares. */
export interface NewEvent {
  id: string;
  eventType: EventType;
  priority: number;
  entityType: string;
  entityId: string;
  payload: Record<string, unknown>;
  maxAttempts: number;
  createdAt: Date;
}

/** One delivery the fan-out created (one per matching subscription). */
export interface RecordedDelivery extends QueueableEvent {
  eventId: string;
  subscriptionId: string;
  status: DeliveryStatus;
}

/** What a worker needs to send a claimed delivery: the event, and its subscription as stored (secrets encrypted). */
export interface ClaimedDelivery {
  id: string;
  /** This attempt's number: the row's count, one more than before the claim (Postgres owns it, not the job). */
  attempt: number;
  /** The attempt budget: with `attempt` equal to it, a failure is final. */
  max_attempts: number;
  /** The previous attempt was claimed and never recorded (its worker died or lost the job): it was interrupted. */
  interrupted: boolean;
  /**
   * A later delivery may wait for this one to finish: its subscription orders per entity, or a
   * delivery recorded earlier (before the subscription stopped ordering) is chained after it.
   */
  chained: boolean;
  event_id: string;
  event_type: EventType;
  entity_type: string;
  entity_id: string;
  payload: Record<string, unknown>;
  subscription: ClaimedSubscription;
}

export interface ClaimedSubscription {
  id: string;
  name: string;
  built_in: boolean;
  /** The URL resolved for this event when the delivery was recorded (the template with `{event}` filled in). */
  url: string;
  headers: Record<string, string>;
  enabled: boolean;
  deleted: boolean;
  secret_enc: string | null;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | null;
}

/** Why a delivery was not claimed. */
export interface ClaimState {
  status: DeliveryStatus;
  /** A `per_entity` delivery whose predecessor (same subscription and entity) is not finished yet. */
  blocked: boolean;
}

/** Deliveries of `per_entity` subscriptions waiting for an earlier one of their entity. */
export interface BlockedChains {
  deliveries: number;
  entities: number;
  oldest: {
    subscription_id: string;
    entity_type: string;
    entity_id: string;
    delivery_id: string;
    blocked_by: string;
    created_at: Date;
  } | null;
}

export interface ClaimRequest {
  id: string;
}

/** An attempt's effect on its row (the rest of the attempt goes to the history and the audit log). */
export interface AttemptUpdate {
  id: string;
  status: AttemptStatus;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  /** Delay before the next attempt (`retrying` only). */
  scheduledDelayMs: number | null;
  targetUrl: string;
}

/** One delivery as the operations API lists it (no payload); `cursor_at` keeps created_at's microseconds. */
export interface DeliveryRow {
  id: string;
  event_id: string;
  subscription_id: string;
  event: EventType;
  priority: number;
  status: DeliveryStatus;
  entity_type: string;
  entity_id: string;
  target_url: string;
  attempts: number;
  max_attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_retry_at: Date | null;
  published_at: Date | null;
  sent_at: Date | null;
  created_at: Date;
  updated_at: Date;
  cursor_at: string;
}

/** Filters of the operations API (list and replay), combined with AND. */
export interface DeliveryFilter {
  status?: DeliveryStatus;
  /** Any of these statuses (with `status`, both apply). */
  statuses?: readonly DeliveryStatus[];
  event?: string;
  entityId?: string;
  subscriptionId?: string;
  /** The deliveries of one event. */
  eventId?: string;
  /** Created at or after (a timestamp Postgres reads). */
  since?: string;
  /** Created before. */
  until?: string;
}

/** A (created_at, id) keyset position; `createdAt` as Postgres printed it. */
export interface DeliveryPosition {
  createdAt: string;
  id: string;
}

export interface StatusCount {
  event_type: string;
  status: DeliveryStatus;
  n: number;
}

export interface DeletedDeliveries {
  events: number;
  history: number;
  logs: number;
  /** Deleted failed events: their jobs stay in BullMQ's failed set until removed. */
  failedIds: string[];
}

const ROW_COLUMNS = `id, event_id, subscription_id, event_type AS event, priority, status, entity_type, entity_id, target_url, attempts, max_attempts,
  last_status_code, last_error, next_retry_at, published_at, sent_at, created_at, updated_at, created_at::text AS cursor_at`;
const QUEUEABLE_COLUMNS = `id, event_type AS "eventType", priority, subscription_id AS "subscriptionId", entity_type AS "entityType", entity_id AS "entityId"`;

/**
 * The claim gate of ordered delivery, on a row aliased `q`: no predecessor, or one that is
 * finished (or deleted by retention).
 */
const UNBLOCKED = `(q.after_id IS NULL OR NOT EXISTS (
  SELECT 1 FROM webhook_queue p WHERE p.id = q.after_id AND ${statusCondition('p.status', IN_QUEUE)}))`;

// The statements of the delivery pipeline, prepared once per connection (see PreparedStatement).

const RECORD_EVENTS = new PreparedStatement(
  'delivery_record_events',
  `WITH d AS (
        INSERT INTO webhook_queue (id, event_id, subscription_id, event_type, priority, entity_type, entity_id, payload, target_url,
            status, attempts, max_attempts, last_error, created_at, updated_at)
          SELECT CASE WHEN s.built_in THEN v.id ELSE gen_random_uuid() END, v.id, s.id, v.event_type, v.priority, v.entity_type, v.entity_id,
            v.payload, COALESCE(s.url_overrides ->> v.event_type, replace(s.url, '{event}', replace(v.event_type, '_', '-'))),
            CASE WHEN s.enabled THEN '${toStatus('record', 'pending')}' ELSE '${toStatus('record', 'cancelled')}' END::delivery_status,
            0, v.max_attempts, CASE WHEN s.enabled THEN NULL ELSE 'subscription disabled' END, v.created_at, v.created_at
          FROM unnest($1::uuid[], $2::text[], $3::smallint[], $4::text[], $5::text[], $6::jsonb[], $7::int[], $8::timestamptz[])
            AS v(id, event_type, priority, entity_type, entity_id, payload, max_attempts, created_at)
          JOIN webhook_subscriptions s ON s.deleted_at IS NULL AND (s.event_types = '{*}' OR v.event_type = ANY (s.event_types))
          RETURNING id, event_id, subscription_id, event_type, priority, status, entity_type, entity_id)
      SELECT d.id, d.event_id AS "eventId", d.subscription_id AS "subscriptionId", d.event_type AS "eventType", d.priority, d.status,
        d.entity_type AS "entityType", d.entity_id AS "entityId", s.ordering = 'per_entity' AS "perEntity"
        FROM d JOIN webhook_subscriptions s ON s.id = d.subscription_id`,
);

const CHAIN = new PreparedStatement(
  'delivery_chain',
  `WITH up AS (
        INSERT INTO webhook_delivery_chains AS c (subscription_id, entity_type, entity_id, tail_id, prev_tail_id, updated_at)
          SELECT * , now() FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::uuid[])
          ON CONFLICT (subscription_id, entity_type, entity_id)
            DO UPDATE SET prev_tail_id = c.tail_id, tail_id = excluded.tail_id, updated_at = now()
          RETURNING prev_tail_id, subscription_id, entity_type, entity_id),
      links AS (
        SELECT i.first_id AS id, up.prev_tail_id AS after_id
          FROM unnest($1::uuid[], $2::text[], $3::text[], $6::uuid[]) AS i(subscription_id, entity_type, entity_id, first_id)
          JOIN up USING (subscription_id, entity_type, entity_id) WHERE up.prev_tail_id IS NOT NULL
        UNION ALL SELECT * FROM unnest($7::uuid[], $8::uuid[]))
      UPDATE webhook_queue q SET after_id = links.after_id FROM links WHERE q.id = links.id`,
);

const CLAIM = new PreparedStatement(
  'delivery_claim',
  `WITH before AS (
        SELECT q.id, q.status FROM webhook_queue q WHERE q.id = ANY($1::uuid[])${andFrom('claim', 'q.status')} AND ${UNBLOCKED}
          ORDER BY q.id FOR UPDATE OF q)
      UPDATE webhook_queue q SET status = '${toStatus('claim', 'sending')}', attempts = q.attempts + 1,
          published_at = COALESCE(q.published_at, now()), updated_at = now()
        FROM before, webhook_subscriptions s
        WHERE q.id = before.id AND s.id = q.subscription_id
        RETURNING q.id, q.attempts AS attempt, q.max_attempts, before.status = 'sending' AND q.attempts > 1 AS interrupted,
          s.ordering = 'per_entity' OR EXISTS (SELECT 1 FROM webhook_queue n WHERE n.after_id = q.id) AS chained,
          q.event_id, q.event_type, q.entity_type, q.entity_id, q.payload, json_build_object(
          'id', s.id, 'name', s.name, 'built_in', s.built_in, 'url', q.target_url, 'headers', s.headers, 'enabled', s.enabled,
          'deleted', s.deleted_at IS NOT NULL, 'secret_enc', s.secret_enc, 'previous_secret_enc', s.previous_secret_enc,
          'previous_secret_expires_at', s.previous_secret_expires_at) AS subscription`,
);

const CLAIM_STATE = new PreparedStatement(
  'delivery_claim_state',
  `SELECT q.status, NOT ${UNBLOCKED} AS blocked FROM webhook_queue q WHERE q.id = $1`,
);

const SUCCESSORS = new PreparedStatement(
  'delivery_successors',
  `SELECT ${QUEUEABLE_COLUMNS} FROM webhook_queue WHERE after_id = ANY($1::uuid[]) AND ${statusCondition('status', IN_QUEUE)}`,
);

const RECORD_ATTEMPTS = new PreparedStatement(
  'delivery_record_attempts',
  `UPDATE webhook_queue q SET
          status = v.status::delivery_status,
          attempts = GREATEST(q.attempts, v.attempt),
          last_status_code = v.status_code,
          last_error = v.error,
          next_retry_at = CASE WHEN v.status = 'retrying' THEN now() + make_interval(secs => v.delay_ms / 1000.0) ELSE NULL END,
          sent_at = CASE WHEN v.status = 'sent' THEN now() ELSE q.sent_at END,
          target_url = v.target_url,
          updated_at = now()
        FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::text[], $6::int[], $7::text[])
          AS v(id, status, attempt, status_code, error, delay_ms, target_url)
        WHERE q.id = v.id${andFrom('recordAttempt', 'q.status')}`,
);

/**
 * The only code that writes `webhook_queue` (the deliveries: one row per outgoing event) and the
 * only code that reads it with SQL. Each status change is a named method: one transition of
 * delivery-transitions.ts, whose `from` set is the guard of its UPDATE. Hot paths are one
 * multi-row statement per batch (unnest arrays), run through the caller's transaction when given.
 */
@Injectable()
export class DeliveryRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  // ── the pipeline ──────────────────────────────────────────────────────────────────────────

  /**
   * `record`: the fan-out. One statement inserts a delivery per event and matching live
   * subscription (`event_types` holds the type, or `*`): `pending`, or `cancelled` for a disabled
   * subscription. The built-in subscription's delivery has id = event id (as before subscriptions
   * existed); the URL is the subscription's template with `{event}` filled in (or the built-in
   * one's per-event override). Then the deliveries of `per_entity` subscriptions are chained.
   */
  async recordEvents(events: NewEvent[], manager: EntityManager = this.dataSource.manager): Promise<RecordedDelivery[]> {
    const col = <T>(f: (r: NewEvent) => T) => events.map(f);
    const rows = await RECORD_EVENTS.run<(RecordedDelivery & { perEntity: boolean; entityType: string; entityId: string })[]>(manager, [
      col((r) => r.id),
      col((r) => r.eventType),
      col((r) => r.priority),
      col((r) => r.entityType),
      col((r) => r.entityId),
      col((r) => JSON.stringify(r.payload)),
      col((r) => r.maxAttempts),
      col((r) => r.createdAt.toISOString()),
    ]);
    const order = new Map(events.map((e, i) => [e.id, i]));
    const chained = rows.filter((r) => r.perEntity).sort((a, b) => (order.get(a.eventId) ?? 0) - (order.get(b.eventId) ?? 0));
    if (chained.length) await this.chain(chained, manager);
    return rows.map(({ id, eventId, subscriptionId, eventType, priority, status, entityType, entityId }) => ({
      id,
      eventId,
      subscriptionId,
      eventType,
      priority,
      status,
      entityType,
      entityId,
    }));
  }

  /**
   * Links each new delivery of a `per_entity` subscription to the one recorded before it for the
   * same entity (`after_id`), in recording order. The chain's tail lives in
   * `webhook_delivery_chains`; its upsert locks the chain's row until this transaction ends, so
   * two transactions raising events for one entity are chained in the order they commit.
   */
  private async chain(
    deliveries: { id: string; subscriptionId: string; entityType: string; entityId: string }[],
    manager: EntityManager,
  ): Promise<void> {
    const chains = new Map<string, { subscriptionId: string; entityType: string; entityId: string; first: string; last: string }>();
    const links: { id: string; after: string }[] = [];
    for (const d of deliveries) {
      const key = JSON.stringify([d.subscriptionId, d.entityType, d.entityId]);
      const chain = chains.get(key);
      if (chain) {
        links.push({ id: d.id, after: chain.last });
        chain.last = d.id;
      } else chains.set(key, { subscriptionId: d.subscriptionId, entityType: d.entityType, entityId: d.entityId, first: d.id, last: d.id });
    }
    // Locks are taken in key order, so two transactions touching the same chains cannot deadlock on them.
    const list = [...chains.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
    const col = <T>(f: (c: (typeof list)[number]) => T) => list.map(f);
    await CHAIN.run(manager, [
      col((c) => c.subscriptionId),
      col((c) => c.entityType),
      col((c) => c.entityId),
      col((c) => c.last),
      col(() => null),
      col((c) => c.first),
      links.map((l) => l.id),
      links.map((l) => l.after),
    ]);
  }

  /**
   * `publish`: the relay found the jobs of these `pending` rows in the queue (or put them there).
   * A worker may be claiming some of them: those rows are skipped, not waited for, as they are on
   * their way to `sending` anyway. The rest are locked in id order, the order the claim locks in,
   * so the two never deadlock over a batch.
   */
  async markQueued(ids: string[], manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query(
      `UPDATE webhook_queue q SET status = '${toStatus('publish', 'queued')}', published_at = now(), updated_at = now()
        FROM (SELECT id FROM webhook_queue WHERE id = ANY($1::uuid[])${andFrom('publish')} ORDER BY id FOR UPDATE SKIP LOCKED) mine
        WHERE q.id = mine.id`,
      [ids],
    );
  }

  /**
   * `pending` rows committed over a second ago (the after-commit publish goes first, and a worker
   * usually claims the row before then), locked for `manager`'s transaction.
   */
  unpublished(limit: number, manager: EntityManager): Promise<QueueableEvent[]> {
    return manager.query<QueueableEvent[]>(
      `SELECT ${QUEUEABLE_COLUMNS} FROM webhook_queue
        WHERE ${statusCondition('status', fromStatuses('publish'))} AND created_at < now() - interval '1 second'
        ORDER BY created_at LIMIT ${rowLimit(limit)} FOR UPDATE SKIP LOCKED`,
    );
  }

  /** Rows the database says are in the queue, unchanged for `quietMs`, locked for `manager`'s transaction. */
  quietInQueue(quietMs: number, limit: number, manager: EntityManager): Promise<QueueableEvent[]> {
    return manager.query<QueueableEvent[]>(
      `SELECT ${QUEUEABLE_COLUMNS} FROM webhook_queue
        WHERE ${statusCondition('status', fromStatuses('requeueLost'))} AND updated_at < now() - make_interval(secs => $1::float / 1000)
        ORDER BY updated_at LIMIT ${rowLimit(limit)} FOR UPDATE SKIP LOCKED`,
      [quietMs],
    );
  }

  /**
   * `requeueLost`: the relay queued these rows' jobs again. A `sending` row stays `sending`: its
   * attempt never got recorded, and the next claim records it as interrupted.
   */
  async requeueLost(ids: string[], manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query(
      `UPDATE webhook_queue SET status = CASE WHEN status = 'sending' THEN status ELSE '${toStatus('requeueLost', 'queued')}' END,
          published_at = now(), updated_at = now()
        WHERE id = ANY($1::uuid[])${andFrom('requeueLost')}`,
      [ids],
    );
  }

  /**
   * `claim`: rows to send now, in one UPDATE … RETURNING, with their subscription. Not returned:
   * a finished row, a row not visible yet, and a `per_entity` delivery whose predecessor is not
   * finished (see claimState).
   */
  async claim(requests: ClaimRequest[]): Promise<ClaimedDelivery[]> {
    // `before` reads each row locked, as it was before this UPDATE: a row claimed again while
    // `sending` had an attempt that never got recorded. A row claimed while `pending` (its job was
    // added after commit, nothing wrote the row since) was in the queue by now: `published_at`.
    const result: unknown = await CLAIM.run(this.dataSource, [requests.map((r) => r.id)]);
    return returnedRows<ClaimedDelivery>(result);
  }

  /** The status of a row `claim` did not return, and whether an unfinished predecessor holds it back. */
  async claimState(id: string): Promise<ClaimState | undefined> {
    const [row] = await CLAIM_STATE.run<ClaimState[]>(this.dataSource, [id]);
    return row;
  }

  /** The unfinished deliveries that wait for these (now finished) ones: the next of each chain. */
  successorsOf(ids: string[]): Promise<QueueableEvent[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return SUCCESSORS.run<QueueableEvent[]>(this.dataSource, [ids]);
  }

  /** Chains held back by an unfinished head: how many deliveries and entities, and the oldest one waiting. */
  async blockedChains(): Promise<BlockedChains> {
    const [row] = await this.dataSource.query<{ deliveries: number; entities: number; oldest: BlockedChains['oldest'] }[]>(
      `WITH blocked AS (
        SELECT q.id, q.subscription_id, q.entity_type, q.entity_id, q.after_id, q.created_at FROM webhook_queue q
          JOIN webhook_queue p ON p.id = q.after_id
          WHERE q.after_id IS NOT NULL AND ${statusCondition('q.status', IN_QUEUE)} AND ${statusCondition('p.status', IN_QUEUE)})
      SELECT (SELECT count(*) FROM blocked)::int AS deliveries,
        (SELECT count(DISTINCT (subscription_id, entity_type, entity_id)) FROM blocked)::int AS entities,
        (SELECT json_build_object('subscription_id', subscription_id, 'entity_type', entity_type, 'entity_id', entity_id,
            'delivery_id', id, 'blocked_by', after_id, 'created_at', created_at)
          FROM blocked ORDER BY created_at LIMIT 1) AS oldest`,
    );
    return { deliveries: row?.deliveries ?? 0, entities: row?.entities ?? 0, oldest: row?.oldest ?? null };
  }

  /** `cancel` of every cancellable delivery of a subscription (it was deleted): the rows cancelled. */
  async cancelAllOf(subscriptionId: string, reason: string, manager: EntityManager = this.dataSource.manager): Promise<DeliveryRow[]> {
    return returnedRows<DeliveryRow>(
      await manager.query(
        `UPDATE webhook_queue SET status = '${toStatus('cancel', 'cancelled')}', next_retry_at = NULL, last_error = $2, updated_at = now()
          WHERE subscription_id = $1${andFrom('cancel')} RETURNING ${ROW_COLUMNS}`,
        [subscriptionId, reason],
      ),
    );
  }

  /**
   * `hold`: the row goes back to how it was before the claim of attempt `attempt` (`queued`, or
   * `retrying` once an attempt was spent; the claim's count undone), to be tried at `untilMs`.
   * Nothing when it is no longer `sending`.
   */
  async hold(id: string, attempt: number, untilMs: number): Promise<void> {
    const spent = attempt - 1;
    const status: HeldStatus = toStatus('hold', spent > 0 ? 'retrying' : 'queued');
    await this.dataSource.query(
      `UPDATE webhook_queue SET status = $2::delivery_status, attempts = $3, next_retry_at = to_timestamp($4::float / 1000), updated_at = now()
        WHERE id = $1${andFrom('hold')}`,
      [id, status, spent, untilMs],
    );
  }

  /** `recordAttempt`: the outcome of many attempts, in one UPDATE through `manager`'s transaction. */
  async recordAttempts(updates: AttemptUpdate[], manager: EntityManager): Promise<void> {
    const col = <T>(f: (r: AttemptUpdate) => T) => updates.map(f);
    await RECORD_ATTEMPTS.run(manager, [
      col((r) => r.id),
      col((r) => toStatus('recordAttempt', r.status)),
      col((r) => r.attempt),
      col((r) => r.statusCode),
      col((r) => r.error),
      col((r) => r.scheduledDelayMs),
      col((r) => r.targetUrl),
    ]);
  }

  // ── operator actions ──────────────────────────────────────────────────────────────────────

  async statusOf(id: string): Promise<DeliveryStatus | undefined> {
    const [row] = await this.dataSource.query<{ status: DeliveryStatus }[]>(`SELECT status FROM webhook_queue WHERE id = $1`, [id]);
    return row?.status;
  }

  /** The status of each id that exists. */
  async statusesOf(ids: string[]): Promise<Map<string, DeliveryStatus>> {
    const rows = await this.dataSource.query<{ id: string; status: DeliveryStatus }[]>(
      `SELECT id, status FROM webhook_queue WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.status]));
  }

  /** `cancel`: the row, cancelled; undefined when it is not cancellable (any more). */
  async cancel(id: string, reason: string): Promise<DeliveryRow | undefined> {
    const [row] = returnedRows<DeliveryRow>(
      await this.dataSource.query(
        `UPDATE webhook_queue SET status = '${toStatus('cancel', 'cancelled')}', next_retry_at = NULL, last_error = $2, updated_at = now()
          WHERE id = $1${andFrom('cancel')} RETURNING ${ROW_COLUMNS}`,
        [id, reason],
      ),
    );
    return row;
  }

  /**
   * `retry` or `replay`: finished rows back to `queued` (same id), for those of `ids` whose
   * status is in `statuses` (by default the transition's whole `from` set). The attempt count
   * goes on (the next attempt is attempts + 1: what receivers and the history see never
   * restarts); a new budget of WEBHOOK_RETRY_DELAYS_MS + 1 attempts opens from there.
   */
  async requeue(ids: string[], transition: 'retry' | 'replay', statuses?: readonly DeliveryStatus[]): Promise<DeliveryRow[]> {
    return returnedRows<DeliveryRow>(
      await this.dataSource.query(
        `UPDATE webhook_queue SET status = '${toStatus(transition, 'queued')}', max_attempts = attempts + $3, last_error = NULL,
            last_status_code = NULL, next_retry_at = NULL, published_at = now(), updated_at = now()
          WHERE id = ANY($1::uuid[]) AND status = ANY($2::delivery_status[]) RETURNING ${ROW_COLUMNS}`,
        [ids, fromStatuses(transition, statuses), this.config.webhook.retryDelaysMs.length + 1],
      ),
    );
  }

  /**
   * `cleanUp`: one batch of finished rows whose last change is before `cutoff` (failed ones only
   * with `includeFailed`), in one statement: their retry history and outgoing audit rows first
   * (counted), then the rows (the foreign key cascade is the safety net). `SKIP LOCKED`.
   */
  async deleteFinished(includeFailed: boolean, cutoff: Date, limit: number): Promise<DeletedDeliveries> {
    const statuses = fromStatuses('cleanUp', includeFailed ? ['sent', 'cancelled', 'failed'] : ['sent', 'cancelled']);
    const [row] = await this.dataSource.query<{ events: number; history: number; logs: number; failed_ids: string[] }[]>(
      `WITH doomed AS (
          SELECT id, status FROM webhook_queue
           WHERE status = ANY($1::delivery_status[]) AND updated_at < $2
           ORDER BY updated_at LIMIT ${rowLimit(limit)} FOR UPDATE SKIP LOCKED),
        history AS (DELETE FROM webhook_retry_history WHERE delivery_id IN (SELECT id FROM doomed) RETURNING 1),
        logs AS (DELETE FROM webhook_logs WHERE direction = 'outgoing' AND delivery_id IN (SELECT id::text FROM doomed) RETURNING 1),
        events AS (DELETE FROM webhook_queue WHERE id IN (SELECT id FROM doomed) RETURNING id, status)
      SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM history)::int AS history,
        (SELECT count(*) FROM logs)::int AS logs,
        COALESCE((SELECT array_agg(id::text) FROM events WHERE status = 'failed'), '{}') AS failed_ids`,
      [statuses, cutoff],
    );
    return { events: row?.events ?? 0, history: row?.history ?? 0, logs: row?.logs ?? 0, failedIds: row?.failed_ids ?? [] };
  }

  /**
   * Forgets chains (`per_entity`) untouched since `cutoff` whose tail is finished or gone: the
   * entity's next event starts a new chain, with nothing to wait for. Returns how many.
   */
  async deleteIdleChains(cutoff: Date, limit: number): Promise<number> {
    const rows = returnedRows<{ n: number }>(
      await this.dataSource.query(
        `WITH idle AS (
          SELECT c.subscription_id, c.entity_type, c.entity_id FROM webhook_delivery_chains c
            WHERE c.updated_at < $1 AND NOT EXISTS (
              SELECT 1 FROM webhook_queue q WHERE q.id = c.tail_id AND ${statusCondition('q.status', IN_QUEUE)})
            ORDER BY c.updated_at LIMIT ${rowLimit(limit)} FOR UPDATE OF c SKIP LOCKED),
        gone AS (DELETE FROM webhook_delivery_chains c USING idle
          WHERE (c.subscription_id, c.entity_type, c.entity_id) = (idle.subscription_id, idle.entity_type, idle.entity_id) RETURNING 1)
        SELECT count(*)::int AS n FROM gone`,
        [cutoff],
      ),
    );
    return rows[0]?.n ?? 0;
  }

  // ── reads of the operations API ───────────────────────────────────────────────────────────

  /** Newest first, `limit` rows strictly before `before` when given. */
  list(filter: DeliveryFilter, limit: number, before?: DeliveryPosition): Promise<DeliveryRow[]> {
    const { where, params } = whereOf(filter);
    if (before) {
      params.push(before.createdAt, before.id);
      where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit);
    return this.dataSource.query<DeliveryRow[]>(
      `SELECT ${ROW_COLUMNS} FROM webhook_queue ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
  }

  /** One row with its payload. */
  async findWithPayload(id: string): Promise<(DeliveryRow & { payload: Record<string, unknown> }) | undefined> {
    const [row] = await this.dataSource.query<(DeliveryRow & { payload: Record<string, unknown> })[]>(
      `SELECT ${ROW_COLUMNS}, payload FROM webhook_queue WHERE id = $1`,
      [id],
    );
    return row;
  }

  async count(filter: DeliveryFilter): Promise<number> {
    const { where, params } = whereOf(filter);
    const [row] = await this.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM webhook_queue ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
      params,
    );
    return row?.n ?? 0;
  }

  /** Oldest first, `limit` positions strictly after `after` when given (to walk every matching row once). */
  positions(filter: DeliveryFilter, limit: number, after?: DeliveryPosition): Promise<DeliveryPosition[]> {
    const { where, params } = whereOf(filter);
    if (after) {
      params.push(after.createdAt, after.id);
      where.push(`(created_at, id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    return this.dataSource.query<DeliveryPosition[]>(
      `SELECT id, created_at::text AS "createdAt" FROM webhook_queue ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at, id LIMIT ${rowLimit(limit)}`,
      params,
    );
  }

  /** How many rows per event type and status. */
  countsByEventAndStatus(): Promise<StatusCount[]> {
    return this.dataSource.query<StatusCount[]>(
      `SELECT event_type, status, count(*)::int AS n FROM webhook_queue GROUP BY event_type, status`,
    );
  }

  /** Age in seconds of the oldest row still in the queue (null when none is). */
  async oldestInQueueAgeSeconds(): Promise<number | null> {
    const [row] = await this.dataSource.query<{ age: number | null }[]>(
      `SELECT EXTRACT(EPOCH FROM now() - min(created_at))::float AS age FROM webhook_queue WHERE ${statusCondition('status', IN_QUEUE)}`,
    );
    return row?.age ?? null;
  }

  /**
   * The backlog at the end of each of the last `minutes` whole minutes up to the current one,
   * oldest first: rows created by then and not finished by then (in the queue now, or sent,
   * failed or cancelled later: `sent_at`, else `updated_at`). A row sent again by an operator
   * counts as unfinished since it was created.
   */
  backlogPerMinute(minutes: number): Promise<{ minute: Date; backlog: number }[]> {
    return this.dataSource.query<{ minute: Date; backlog: number }[]>(
      `WITH m AS (
          SELECT generate_series(date_trunc('minute', now()) - make_interval(mins => $1::int - 1), date_trunc('minute', now()), interval '1 minute') AS minute),
        r AS (
          SELECT created_at, CASE WHEN ${statusCondition('status', IN_QUEUE)} THEN 'infinity'::timestamptz
              WHEN status = 'sent' THEN COALESCE(sent_at, updated_at) ELSE updated_at END AS finished_at
            FROM webhook_queue
            WHERE ${statusCondition('status', IN_QUEUE)} OR updated_at >= date_trunc('minute', now()) - make_interval(mins => $1::int - 1))
        SELECT m.minute, count(r.created_at)::int AS backlog
          FROM m LEFT JOIN r ON r.created_at < m.minute + interval '1 minute' AND r.finished_at >= m.minute + interval '1 minute'
          GROUP BY m.minute ORDER BY m.minute`,
      [minutes],
    );
  }
}

/** The WHERE conditions of a filter, with their parameters ($1 …) in order. */
function whereOf(filter: DeliveryFilter): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (filter.status) add((p) => `status = ${p}::delivery_status`, filter.status);
  if (filter.event) add((p) => `event_type = ${p}`, filter.event);
  if (filter.statuses) add((p) => `status = ANY(${p}::delivery_status[])`, filter.statuses);
  if (filter.entityId) add((p) => `entity_id = ${p}`, filter.entityId);
  if (filter.subscriptionId) add((p) => `subscription_id = ${p}::uuid`, filter.subscriptionId);
  if (filter.eventId) add((p) => `event_id = ${p}::uuid`, filter.eventId);
  if (filter.since) add((p) => `created_at >= ${p}::timestamptz`, filter.since);
  if (filter.until) add((p) => `created_at < ${p}::timestamptz`, filter.until);
  return { where, params };
}

/** A row count written into a statement: a positive integer, or it throws. */
function rowLimit(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`Not a row count: ${n}`);
  return n;
}
