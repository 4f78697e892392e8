import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { Lead } from '../leads/lead.entity';
import { EXECUTION_STATUSES, ExecutionStatus } from '../statuses';

/** One n8n workflow execution, keyed by n8n's execution id. */
@Entity('workflow_executions')
export class WorkflowExecution {
  @PrimaryColumn({ name: 'execution_id', type: 'text' })
  executionId: string;

  @Index('idx_workflow_executions_workflow_id')
  @Column({ name: 'workflow_id', type: 'text' })
  workflowId: string;

  @Index('idx_workflow_executions_lead_id')
  @Column({ name: 'lead_id', type: 'uuid', nullable: true })
  leadId: string | null;

  @ManyToOne(() => Lead, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'lead_id', foreignKeyConstraintName: 'fk_workflow_executions_lead' })
  lead?: Lead | null;

  @Index('idx_workflow_executions_status')
  @Column({ type: 'enum', enum: EXECUTION_STATUSES, enumName: 'execution_status', default: 'running' })
  status: ExecutionStatus;

  @Column({ type: 'smallint', nullable: true })
  progress: number | null;

  @Column({ name: 'last_step', type: 'text', nullable: true })
  lastStep: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  data: Record<string, unknown>;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
