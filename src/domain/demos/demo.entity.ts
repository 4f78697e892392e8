import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { BaseEntity } from '../../database/base.entity';
import { Lead } from '../leads/lead.entity';
import { APPROVAL_STATUSES, ApprovalStatus, DEMO_STATUSES, DemoStatus } from '../statuses';

@Entity('demos')
export class Demo extends BaseEntity {
  @Index('idx_demos_lead_id')
  @Column({ name: 'lead_id', type: 'uuid' })
  leadId: string;

  @ManyToOne(() => Lead, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'lead_id', foreignKeyConstraintName: 'fk_demos_lead' })
  lead?: Lead;

  @Column({ type: 'text', nullable: true })
  url: string | null;

  @Index('idx_demos_status')
  @Column({ type: 'enum', enum: DEMO_STATUSES, enumName: 'demo_status', default: 'pending' })
  status: DemoStatus;

  @Index('idx_demos_approval_status')
  @Column({ name: 'approval_status', type: 'enum', enum: APPROVAL_STATUSES, enumName: 'approval_status', default: 'not_required' })
  approvalStatus: ApprovalStatus;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'reviewed_by', type: 'text', nullable: true })
  reviewedBy: string | null;

  @Column({ name: 'reviewed_at', type: 'timestamptz', nullable: true })
  reviewedAt: Date | null;

  @Column({ name: 'review_notes', type: 'text', nullable: true })
  reviewNotes: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  metadata: Record<string, unknown>;
}
