import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { returnedRows } from '../database/raw-query';
import { isUniqueViolation } from '../database/postgres-errors';
import { BUILT_IN_SUBSCRIPTION_ID, Ordering } from './subscription.entity';

/** A subscription as stored (secrets still encrypted), columns in snake_case as Postgres returns them. */
export interface SubscriptionRow {
  id: string;
  name: string;
  url: string | null;
  event_types: string[];
  enabled: boolean;
  ordering: Ordering;
  headers: Record<string, string>;
  description: string | null;
  secret_enc: string | null;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | null;
  built_in: boolean;
  url_overrides: Record<string, string>;
  disabled_reason: string | null;
  disabled_at: Date | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface NewSubscription {
  name: string;
  url: string;
  eventTypes: string[];
  enabled: boolean;
  ordering: Ordering;
  headers: Record<string, string>;
  description: string | null;
  secretEnc: string;
}

/** The fields PATCH may change (never the secret); undefined = unchanged. */
export interface SubscriptionPatch {
  name?: string;
  url?: string;
  eventTypes?: string[];
  enabled?: boolean;
  ordering?: Ordering;
  headers?: Record<string, string>;
  description?: string | null;
}

/** The built-in subscription's settings, from the environment. */
export interface BuiltInSettings {
  /** `<N8N_BASE_URL>/webhook/{event}`. */
  url: string;
  urlOverrides: Record<string, string>;
  eventTypes: string[];
}

/** Another live subscription already has this name. */
export class DuplicateSubscriptionNameError extends Error {
  constructor(readonly subscriptionName: string) {
    super(`A subscription named "${subscriptionName}" already exists`);
    this.name = 'DuplicateSubscriptionNameError';
  }
}

const COLUMNS = `id, name, url, event_types, enabled, ordering, headers, description, secret_enc, previous_secret_enc,
  previous_secret_expires_at, built_in, url_overrides, disabled_reason, disabled_at, failing_since, created_at, updated_at`;

/**
 * The only code that writes `webhook_subscriptions`. Deleted subscriptions (`deleted_at`) are
 * invisible to every read here; the deliveries made for them keep their `subscription_id`.
 */
@Injectable()
export class SubscriptionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Writes the built-in subscription's settings from this process's environment (at start-up). */
  async syncBuiltIn(settings: BuiltInSettings): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_subscriptions SET url = $2, url_overrides = $3::jsonb, event_types = $4::text[], updated_at = now()
        WHERE id = $1 AND (url IS DISTINCT FROM $2 OR url_overrides <> $3::jsonb OR event_types <> $4::text[])`,
      [BUILT_IN_SUBSCRIPTION_ID, settings.url, JSON.stringify(settings.urlOverrides), settings.eventTypes],
    );
  }

  async create(input: NewSubscription): Promise<SubscriptionRow> {
    try {
      const [row] = await this.dataSource.query<SubscriptionRow[]>(
        `INSERT INTO webhook_subscriptions (name, url, event_types, enabled, ordering, headers, description, secret_enc)
          VALUES ($1, $2, $3::text[], $4, $5, $6::jsonb, $7, $8) RETURNING ${COLUMNS}`,
        [
          input.name,
          input.url,
          input.eventTypes,
          input.enabled,
          input.ordering,
          JSON.stringify(input.headers),
          input.description,
          input.secretEnc,
        ],
      );
      if (!row) throw new Error('INSERT … RETURNING returned no row');
      return row;
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateSubscriptionNameError(input.name);
      throw error;
    }
  }

  /** Every live subscription, the built-in one first, then by creation. */
  list(): Promise<SubscriptionRow[]> {
    return this.dataSource.query<SubscriptionRow[]>(
      `SELECT ${COLUMNS} FROM webhook_subscriptions WHERE deleted_at IS NULL ORDER BY built_in DESC, created_at, id`,
    );
  }

  async find(id: string): Promise<SubscriptionRow | undefined> {
    const [row] = await this.dataSource.query<SubscriptionRow[]>(
      `SELECT ${COLUMNS} FROM webhook_subscriptions WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    return row;
  }

  /**
   * Applies the given fields. Enabling clears the disabled reason and the failure streak;
   * disabling by hand records `disabled by an operator`. Undefined when there is no such live one.
   */
  async update(id: string, patch: SubscriptionPatch): Promise<SubscriptionRow | undefined> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const set = (column: string, value: unknown, cast = '') => {
      params.push(value);
      sets.push(`${column} = $${params.length}${cast}`);
    };
    if (patch.name !== undefined) set('name', patch.name);
    if (patch.url !== undefined) set('url', patch.url);
    if (patch.eventTypes !== undefined) set('event_types', patch.eventTypes, '::text[]');
    if (patch.ordering !== undefined) set('ordering', patch.ordering);
    if (patch.headers !== undefined) set('headers', JSON.stringify(patch.headers), '::jsonb');
    if (patch.description !== undefined) set('description', patch.description);
    if (patch.enabled !== undefined) {
      set('enabled', patch.enabled);
      sets.push(
        patch.enabled
          ? 'disabled_reason = NULL, disabled_at = NULL, failing_since = NULL'
          : `disabled_reason = CASE WHEN enabled THEN 'disabled by an operator' ELSE disabled_reason END, disabled_at = COALESCE(disabled_at, now())`,
      );
    }
    sets.push('updated_at = now()');
    try {
      const [row] = returnedRows<SubscriptionRow>(
        await this.dataSource.query(
          `UPDATE webhook_subscriptions SET ${sets.join(', ')} WHERE id = $1 AND deleted_at IS NULL AND NOT built_in RETURNING ${COLUMNS}`,
          params,
        ),
      );
      return row;
    } catch (error) {
      if (isUniqueViolation(error) && patch.name !== undefined) throw new DuplicateSubscriptionNameError(patch.name);
      throw error;
    }
  }

  /** Marks the subscription deleted (its name becomes free); true when it was live, through `manager`'s transaction. */
  async softDelete(id: string, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const rows = returnedRows<{ id: string }>(
      await manager.query(
        `UPDATE webhook_subscriptions SET deleted_at = now(), enabled = false, updated_at = now()
          WHERE id = $1 AND deleted_at IS NULL AND NOT built_in RETURNING id`,
        [id],
      ),
    );
    return rows.length > 0;
  }

  /** The new secret signs from now on; the current one keeps signing alongside it until `graceUntil` (none when null). */
  async rotateSecret(id: string, secretEnc: string, graceUntil: Date | null): Promise<SubscriptionRow | undefined> {
    const [row] = returnedRows<SubscriptionRow>(
      await this.dataSource.query(
        `UPDATE webhook_subscriptions SET previous_secret_enc = CASE WHEN $3::timestamptz IS NULL THEN NULL ELSE secret_enc END,
            previous_secret_expires_at = $3::timestamptz, secret_enc = $2, updated_at = now()
          WHERE id = $1 AND deleted_at IS NULL AND NOT built_in RETURNING ${COLUMNS}`,
        [id, secretEnc, graceUntil],
      ),
    );
    return row;
  }

  /** Every stored secret of the live subscriptions (a deleted one sends nothing more), to check the key at start-up. */
  encryptedSecrets(): Promise<{ name: string; secret_enc: string | null; previous_secret_enc: string | null }[]> {
    return this.dataSource.query(
      `SELECT name, secret_enc, previous_secret_enc FROM webhook_subscriptions WHERE NOT built_in AND deleted_at IS NULL`,
    );
  }

  /**
   * Remembers how attempts went, per subscription, through `manager`'s transaction: one success
   * ends a failure streak; a failure starts one when none is running. Only rows that change are written.
   */
  async noteOutcomes(succeeded: string[], failed: string[], manager: EntityManager): Promise<void> {
    if (succeeded.length)
      await manager.query(
        `UPDATE webhook_subscriptions SET failing_since = NULL WHERE id = ANY($1::uuid[]) AND failing_since IS NOT NULL`,
        [succeeded],
      );
    const onlyFailed = failed.filter((id) => !succeeded.includes(id));
    if (onlyFailed.length)
      await manager.query(`UPDATE webhook_subscriptions SET failing_since = now() WHERE id = ANY($1::uuid[]) AND failing_since IS NULL`, [
        onlyFailed,
      ]);
  }

  /**
   * Disables those of `ids` whose deliveries have done nothing but fail for `afterMs` (never the
   * built-in one); returns the ones this call disabled, so each is reported once.
   */
  async disableFailing(ids: string[], afterMs: number): Promise<SubscriptionRow[]> {
    if (ids.length === 0 || afterMs <= 0) return [];
    return returnedRows<SubscriptionRow>(
      await this.dataSource.query(
        `UPDATE webhook_subscriptions SET enabled = false, disabled_at = now(), updated_at = now(),
            disabled_reason = 'every delivery failed since ' || to_char(failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
          WHERE id = ANY($1::uuid[]) AND enabled AND NOT built_in AND deleted_at IS NULL
            AND failing_since < now() - make_interval(secs => $2::float / 1000)
          RETURNING ${COLUMNS}`,
        [ids, afterMs],
      ),
    );
  }
}
