import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type WebhookDirection = 'incoming' | 'outgoing';

/**
 * The audit trail: one row per outgoing attempt and per incoming request, accepted or refused (the
 * incoming rows are the incoming-callback log). Partitioned by day of created_at (see
 * migrations/1796320000000-PartitionedAudit.ts): the partition key is part of the primary key and
 * of the unique index; the writer keeps one outgoing row per (delivery, attempt).
 */
@Entity('webhook_logs')
@Index('idx_webhook_logs_delivery', ['deliveryId'])
@Index('uq_webhook_logs_outgoing_attempt', ['deliveryId', 'attempt', 'createdAt'], { unique: true, where: `direction = 'outgoing'` })
@Index('idx_webhook_logs_direction_created', ['direction', 'createdAt'])
export class WebhookLog {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  direction: WebhookDirection;

  /** Outgoing: the webhook_queue id. Incoming: the X-Webhook-Id sent by n8n, if any. */
  @Column({ name: 'delivery_id', type: 'text', nullable: true })
  deliveryId: string | null;

  @Column({ name: 'event_type', type: 'text', nullable: true })
  eventType: string | null;

  @Column({ name: 'entity_type', type: 'text', nullable: true })
  entityType: string | null;

  @Column({ name: 'entity_id', type: 'text', nullable: true })
  entityId: string | null;

  /** Outgoing: the target URL. Incoming: the request path. */
  @Column({ type: 'text' })
  endpoint: string;

  @Column({ type: 'text', default: 'POST' })
  method: string;

  @Column({ type: 'integer', nullable: true })
  attempt: number | null;

  @Column({ name: 'request_headers', type: 'jsonb', default: () => "'{}'" })
  requestHeaders: Record<string, string>;

  @Column({ name: 'request_body', type: 'text', nullable: true })
  requestBody: string | null;

  @Column({ name: 'response_status', type: 'integer', nullable: true })
  responseStatus: number | null;

  @Column({ name: 'response_body', type: 'text', nullable: true })
  responseBody: string | null;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs: number | null;

  /** e.g. sent, retrying, failed (outgoing); accepted, rejected, duplicate (incoming). */
  @Column({ type: 'text' })
  outcome: string;

  /** Why it was refused or failed: a verification reason, a validation summary, an error message. */
  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ name: 'source_ip', type: 'text', nullable: true })
  sourceIp: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', primary: true })
  createdAt: Date;
}
