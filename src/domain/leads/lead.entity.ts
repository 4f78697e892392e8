import { Column, Entity, Index } from 'typeorm';
import { BaseEntity } from '../../database/base.entity';
import { LEAD_STATUSES, LeadStatus } from '../statuses';

@Entity('leads')
export class Lead extends BaseEntity {
  @Column({ type: 'text' })
  title: string;

  @Index('uq_leads_url', { unique: true })
  @Column({ type: 'text' })
  url: string;

  @Column({ type: 'text', nullable: true })
  email: string | null;

  @Column({ type: 'text', nullable: true })
  phone: string | null;

  @Column({ type: 'text', nullable: true })
  city: string | null;

  @Column({ type: 'text', nullable: true })
  category: string | null;

  @Column({ type: 'text', nullable: true })
  source: string | null;

  @Column({ type: 'integer', nullable: true })
  score: number | null;

  @Index('idx_leads_status')
  @Column({ type: 'enum', enum: LEAD_STATUSES, enumName: 'lead_status', default: 'new' })
  status: LeadStatus;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  metadata: Record<string, unknown>;
}
