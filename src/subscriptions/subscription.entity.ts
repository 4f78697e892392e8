import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const ORDERINGS = ['none', 'per_entity'] as const;
export type Ordering = (typeof ORDERINGS)[number];

/** The subscription every zero-configuration install has: its settings come from the environment (N8N_*, WEBHOOK_SECRET). */
export const BUILT_IN_SUBSCRIPTION_ID = '00000000-0000-4000-8000-000000000000';

/**
 * Where events go (table `webhook_subscriptions`): a URL (may contain `{event}`), the event
 * types it receives (`*` = all), its own signing secret (encrypted at rest, see secret-cipher.ts),
 * extra headers and its delivery order. Deleting one only stamps `deleted_at`: its past
 * deliveries keep pointing at it.
 */
@Entity('webhook_subscriptions')
export class Subscription {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  /** Null for the built-in subscription (its URL comes from the environment). */
  @Column({ type: 'text', nullable: true })
  url: string | null;

  @Column({ name: 'event_types', type: 'text', array: true })
  eventTypes: string[];

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @Column({ type: 'text', default: 'none' })
  ordering: Ordering;

  @Column({ type: 'jsonb', default: {} })
  headers: Record<string, string>;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ name: 'secret_enc', type: 'text', nullable: true })
  secretEnc: string | null;

  @Column({ name: 'previous_secret_enc', type: 'text', nullable: true })
  previousSecretEnc: string | null;

  @Column({ name: 'previous_secret_expires_at', type: 'timestamptz', nullable: true })
  previousSecretExpiresAt: Date | null;

  @Column({ name: 'built_in', type: 'boolean', default: false })
  builtIn: boolean;

  @Column({ name: 'url_overrides', type: 'jsonb', default: {} })
  urlOverrides: Record<string, string>;

  @Column({ name: 'disabled_reason', type: 'text', nullable: true })
  disabledReason: string | null;

  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt: Date | null;

  /** Since when every attempt to it failed (null once one succeeds). */
  @Column({ name: 'failing_since', type: 'timestamptz', nullable: true })
  failingSince: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;
}
