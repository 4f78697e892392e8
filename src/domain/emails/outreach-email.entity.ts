import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { BaseEntity } from '../../database/base.entity';
import { Lead } from '../leads/lead.entity';
import { Video } from '../videos/video.entity';
import { EMAIL_STATUSES, EmailStatus } from '../statuses';

@Entity('outreach_emails')
export class OutreachEmail extends BaseEntity {
  @Index('idx_outreach_emails_lead_id')
  @Column({ name: 'lead_id', type: 'uuid' })
  leadId: string;

  @ManyToOne(() => Lead, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'lead_id', foreignKeyConstraintName: 'fk_outreach_emails_lead' })
  lead?: Lead;

  @Index('idx_outreach_emails_video_id')
  @Column({ name: 'video_id', type: 'uuid', nullable: true })
  videoId: string | null;

  @ManyToOne(() => Video, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'video_id', foreignKeyConstraintName: 'fk_outreach_emails_video' })
  video?: Video | null;

  @Column({ name: 'to_address', type: 'text', nullable: true })
  toAddress: string | null;

  @Column({ type: 'text', nullable: true })
  subject: string | null;

  @Index('idx_outreach_emails_status')
  @Column({ type: 'enum', enum: EMAIL_STATUSES, enumName: 'email_status', default: 'queued' })
  status: EmailStatus;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt: Date | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  metadata: Record<string, unknown>;
}
