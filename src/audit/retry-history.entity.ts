import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { OutboxEvent } from '../outbox/outbox-event.entity';

/**
 * One row per delivery attempt of an outgoing event. Partitioned by day of created_at (see
 * migrations/1796320000000-PartitionedAudit.ts): the partition key is part of the primary key and
 * of the unique index; the writer keeps one row per (delivery, attempt).
 */
@Entity('webhook_retry_history')
@Index('idx_webhook_retry_history_delivery', ['deliveryId', 'attempt', 'createdAt'], { unique: true })
@Index('idx_webhook_retry_history_created', ['createdAt'])
export class RetryHistory {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column({ name: 'delivery_id', type: 'uuid' })
  deliveryId: string;

  @ManyToOne(() => OutboxEvent, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'delivery_id', foreignKeyConstraintName: 'fk_webhook_retry_history_delivery' })
  delivery?: OutboxEvent;

  @Column({ type: 'integer' })
  attempt: number;

  /** sent, retrying or failed. */
  @Column({ type: 'text' })
  outcome: string;

  @Column({ name: 'status_code', type: 'integer', nullable: true })
  statusCode: number | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'duration_ms', type: 'integer' })
  durationMs: number;

  /** Delay before the next attempt (null when there is none). */
  @Column({ name: 'scheduled_delay_ms', type: 'integer', nullable: true })
  scheduledDelayMs: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', primary: true })
  createdAt: Date;
}
