import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { BaseEntity } from '../../database/base.entity';
import { Demo } from '../demos/demo.entity';
import { Lead } from '../leads/lead.entity';
import { APPROVAL_STATUSES, ApprovalStatus, VIDEO_STATUSES, VideoStatus } from '../statuses';

@Entity('videos')
export class Video extends BaseEntity {
  @Index('idx_videos_lead_id')
  @Column({ name: 'lead_id', type: 'uuid' })
  leadId: string;

  @ManyToOne(() => Lead, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'lead_id', foreignKeyConstraintName: 'fk_videos_lead' })
  lead?: Lead;

  @Index('idx_videos_demo_id')
  @Column({ name: 'demo_id', type: 'uuid', nullable: true })
  demoId: string | null;

  @ManyToOne(() => Demo, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'demo_id', foreignKeyConstraintName: 'fk_videos_demo' })
  demo?: Demo | null;

  @Column({ type: 'text', nullable: true })
  url: string | null;

  @Index('idx_videos_status')
  @Column({ type: 'enum', enum: VIDEO_STATUSES, enumName: 'video_status', default: 'queued' })
  status: VideoStatus;

  @Index('idx_videos_approval_status')
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
