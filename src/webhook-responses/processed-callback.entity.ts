import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The idempotency store of incoming callbacks: one row per `X-Webhook-Id` that was applied,
 * written in the same transaction as the change, with the hash of the signed body and the
 * response given, so a repeat of the same callback is answered identically and never applied
 * twice, and the same key with another body is refused.
 */
@Entity('webhook_callbacks')
@Index('idx_webhook_callbacks_created', ['createdAt'])
export class ProcessedCallback {
  @PrimaryColumn({ name: 'idempotency_key', type: 'text' })
  idempotencyKey: string;

  @Column({ type: 'text' })
  endpoint: string;

  /** Hex SHA-256 of the exact signed body bytes; null for rows stored before it was kept (taken as matching). */
  @Column({ name: 'body_sha256', type: 'text', nullable: true })
  bodySha256: string | null;

  @Column({ name: 'status_code', type: 'integer' })
  statusCode: number;

  @Column({ type: 'jsonb' })
  response: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
