import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { returnedRows } from '../database/raw-query';
import { ExecutionStatus } from '../domain/statuses';
import { WorkflowExecution } from '../domain/workflow-executions/workflow-execution.entity';

/** A `workflow_executions` row as the upsert returns it. */
export interface ExecutionRow {
  execution_id: string;
  workflow_id: string;
  lead_id: string | null;
  status: ExecutionStatus;
  progress: number | null;
  last_step: string | null;
  data: Record<string, unknown>;
  error: string | null;
  started_at: Date | null;
  finished_at: Date | null;
}

/** A progress report to upsert (the fields of a `workflow-status` callback). */
export interface ExecutionStatusReport {
  execution_id: string;
  workflow_id: string;
  lead_id?: string;
  status: ExecutionStatus;
  progress?: number;
  step?: string;
}

/**
 * The owner of `workflow_executions` (keyed by n8n's execution id). Every method runs in the
 * manager given, so it joins the caller's transaction.
 */
@Injectable()
export class WorkflowExecutionRepository {
  /**
   * Inserts each execution or updates it unless it already finished, in one statement (each
   * execution at most once per call). Returns the rows it wrote; a finished one is not among them.
   */
  async upsertStatuses(manager: EntityManager, reports: ExecutionStatusReport[]): Promise<Map<string, ExecutionRow>> {
    const col = <T>(pick: (report: ExecutionStatusReport) => T | undefined) => reports.map((report) => pick(report) ?? null);
    const result: unknown = await manager.query(
      `INSERT INTO workflow_executions AS e (execution_id, workflow_id, lead_id, status, progress, last_step, started_at, finished_at)
        SELECT v.execution_id, v.workflow_id, v.lead_id, v.status, v.progress, v.last_step, now(), CASE WHEN v.status IN ('success', 'error') THEN now() END
        FROM unnest($1::text[], $2::text[], $3::uuid[], $4::execution_status[], $5::smallint[], $6::text[])
          AS v(execution_id, workflow_id, lead_id, status, progress, last_step)
        ON CONFLICT (execution_id) DO UPDATE SET
          status = EXCLUDED.status,
          lead_id = COALESCE(EXCLUDED.lead_id, e.lead_id),
          progress = COALESCE(EXCLUDED.progress, e.progress),
          last_step = COALESCE(EXCLUDED.last_step, e.last_step),
          finished_at = EXCLUDED.finished_at,
          updated_at = now()
        WHERE e.status NOT IN ('success', 'error')
        RETURNING *`,
      [
        col((r) => r.execution_id),
        col((r) => r.workflow_id),
        col((r) => r.lead_id),
        col((r) => r.status),
        col((r) => r.progress),
        col((r) => r.step),
      ],
    );
    return new Map(returnedRows<ExecutionRow>(result).map((row) => [row.execution_id, row]));
  }

  /** Inserts the execution if it is new (concurrent first reports cannot collide), then locks it. */
  async lockOrCreate(manager: EntityManager, executionId: string, workflowId: string, leadId?: string): Promise<WorkflowExecution> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(WorkflowExecution)
      .values({ executionId, workflowId, leadId: leadId ?? null, status: 'running', startedAt: new Date() })
      .orIgnore()
      .execute();
    return manager.findOneOrFail(WorkflowExecution, { where: { executionId }, lock: { mode: 'pessimistic_write' } });
  }

  get(manager: EntityManager, executionId: string): Promise<WorkflowExecution> {
    return manager.findOneByOrFail(WorkflowExecution, { executionId });
  }

  save(manager: EntityManager, execution: WorkflowExecution): Promise<WorkflowExecution> {
    return manager.save(execution);
  }
}
