import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { EventType } from '../events/event-catalog';

export const DELIVERY_STATUSES = ['pending', 'queued', 'sending', 'sent', 'retrying', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * One delivery of an outgoing event to one subscription (the transactional outbox, table
 * `webhook_queue`). Written in the same transaction as the change that raised the event, one row
 * per matching subscription. `event_id` is the event's id, sent as `X-Webhook-Id` to every
 * subscription; `id` is the delivery id and the BullMQ job id (the built-in subscription's
 * delivery has id = event_id). `payload` is the event's envelope, the bytes that are signed and sent.
 */
@Entity('webhook_queue')
@Index('idx_webhook_queue_unpublished', ['createdAt'], { where: `status = 'pending'` })
@Index('idx_webhook_queue_status_created', ['status', 'createdAt'])
@Index('idx_webhook_queue_entity', ['entityType', 'entityId'])
@Index('idx_webhook_queue_status_updated', ['status', 'updatedAt'])
@Index('idx_webhook_queue_created_id', ['createdAt', 'id'])
@Index('idx_webhook_queue_event', ['eventId'])
@Index('idx_webhook_queue_subscription_created', ['subscriptionId', 'createdAt'])
@Index('idx_webhook_queue_after', ['afterId'], { where: 'after_id IS NOT NULL' })
export class OutboxEvent {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId: string;

  @Column({ name: 'subscription_id', type: 'uuid' })
  subscriptionId: string;

  /** `per_entity` subscriptions: the delivery of the same entity recorded just before this one (sent first). */
  @Column({ name: 'after_id', type: 'uuid', nullable: true })
  afterId: string | null;

  @Column({ name: 'event_type', type: 'text' })
  eventType: EventType;

  @Column({ type: 'smallint' })
  priority: number;

  @Column({ name: 'entity_type', type: 'text' })
  entityType: string;

  @Column({ name: 'entity_id', type: 'text' })
  entityId: string;

  /** The full JSON envelope sent as the request body. */
  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  @Column({ name: 'target_url', type: 'text' })
  targetUrl: string;

  @Column({ type: 'enum', enum: DELIVERY_STATUSES, enumName: 'delivery_status', default: 'pending' })
  status: DeliveryStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'max_attempts', type: 'integer' })
  maxAttempts: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'last_status_code', type: 'integer', nullable: true })
  lastStatusCode: number | null;

  @Column({ name: 'next_retry_at', type: 'timestamptz', nullable: true })
  nextRetryAt: Date | null;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt: Date | null;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
