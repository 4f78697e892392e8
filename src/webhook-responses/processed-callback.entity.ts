import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * The idempotency store of incoming callbacks: one row per `X-Webhook-Id` that was applied,
 * written in the same transaction as the change, with the response given, so a repeat of the
 * same callback is answered identically and never applied twice.
 */
@Entity('webhook_callbacks')
export class ProcessedCallback {
  @PrimaryColumn({ name: 'idempotency_key', type: 'text' })
  idempotencyKey: string;

  @Column({ type: 'text' })
  endpoint: string;

  @Column({ name: 'status_code', type: 'integer' })
  statusCode: number;

  @Column({ type: 'jsonb' })
  response: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
