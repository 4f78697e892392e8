import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const ERROR_SEVERITIES = ['warning', 'error', 'critical'] as const;
export type ErrorSeverity = (typeof ERROR_SEVERITIES)[number];

/** An error n8n reported through the `error-notification` callback. */
@Entity('workflow_error_reports')
@Index('idx_workflow_error_reports_lead', ['leadId'])
@Index('idx_workflow_error_reports_created', ['createdAt'])
export class WorkflowErrorReport {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'workflow_id', type: 'text' })
  workflowId: string;

  @Column({ name: 'execution_id', type: 'text', nullable: true })
  executionId: string | null;

  @Column({ name: 'lead_id', type: 'uuid', nullable: true })
  leadId: string | null;

  @Column({ type: 'text', nullable: true })
  node: string | null;

  @Column({ name: 'error_message', type: 'text' })
  errorMessage: string;

  @Column({ type: 'enum', enum: ERROR_SEVERITIES, enumName: 'error_severity' })
  severity: ErrorSeverity;

  /** Whether a `workflow_error` event was raised for it (not for the alerting workflow's own errors). */
  @Column({ name: 'event_raised', type: 'boolean', default: false })
  eventRaised: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
