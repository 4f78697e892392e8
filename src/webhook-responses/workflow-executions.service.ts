import { Injectable } from '@nestjs/common';
import { EntityManager, QueryFailedError } from 'typeorm';
import { ConflictError, EntityNotFoundError } from '../common/errors/app-errors';
import { Lead } from '../domain/leads/lead.entity';
import { ExecutionStatus } from '../domain/statuses';
import { WorkflowExecution } from '../domain/workflow-executions/workflow-execution.entity';
import { returnedRows } from '../database/raw-query';
import { CallbackResult, ok } from './callback-result';
import { WorkflowCompletedDto, WorkflowStatusDto } from './dto/workflow-callbacks.dto';

const FINISHED: ExecutionStatus[] = ['success', 'error'];

/**
 * Progress and completion of n8n executions (`workflow_executions`, keyed by execution id).
 * A finished execution is final: a late `running`/`waiting` is ignored, and a completion that
 * contradicts the recorded outcome is a 409.
 */
@Injectable()
export class WorkflowExecutionsService {
  async completed(dto: WorkflowCompletedDto, manager: EntityManager): Promise<CallbackResult> {
    const lead = dto.lead_id ? await findLead(manager, dto.lead_id) : null;
    const execution = await this.lockOrCreate(manager, dto.execution_id, dto.workflow_id, dto.lead_id);
    if (FINISHED.includes(execution.status)) {
      if (execution.status !== dto.status) throw new ConflictError(`Execution ${dto.execution_id} already finished with ${execution.status}`, executionBody(execution));
      return ok({ execution: executionBody(execution) });
    }
    execution.status = dto.status;
    execution.workflowId = dto.workflow_id;
    execution.leadId = dto.lead_id ?? execution.leadId;
    execution.data = { ...execution.data, ...(dto.result ?? {}) };
    execution.finishedAt = dto.finished_at ? new Date(dto.finished_at) : new Date();
    if (dto.status === 'success') execution.progress = 100;
    await manager.save(execution);
    if (lead) {
      lead.metadata = { ...lead.metadata, last_workflow: { workflow_id: dto.workflow_id, execution_id: dto.execution_id, status: dto.status, finished_at: execution.finishedAt.toISOString() } };
      await manager.save(lead);
    }
    return ok({ execution: executionBody(execution) });
  }

  /**
   * One statement: inserts the execution or updates it unless it already finished (a finished
   * execution is final; a late progress report changes nothing and is answered with its state).
   */
  async status(dto: WorkflowStatusDto, manager: EntityManager): Promise<CallbackResult> {
    let updated: ExecutionRow | undefined;
    try {
      updated = (await this.upsertStatuses(manager, [dto])).get(dto.execution_id);
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new EntityNotFoundError('Lead', dto.lead_id ?? '');
      throw error;
    }
    if (updated) return ok({ execution: rowBody(updated) });
    const current = await manager.findOneByOrFail(WorkflowExecution, { executionId: dto.execution_id });
    return ok({ execution: executionBody(current), ignored: dto.status === current.status ? undefined : 'execution already finished' });
  }

  /**
   * Inserts each execution or updates it unless it already finished, in one statement (each
   * execution at most once per call). Returns the rows it wrote; a finished one is not among them.
   */
  async upsertStatuses(manager: EntityManager, reports: WorkflowStatusDto[]): Promise<Map<string, ExecutionRow>> {
    const col = <T>(pick: (dto: WorkflowStatusDto) => T | undefined) => reports.map((dto) => pick(dto) ?? null);
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
      [col((d) => d.execution_id), col((d) => d.workflow_id), col((d) => d.lead_id), col((d) => d.status), col((d) => d.progress), col((d) => d.step)],
    );
    return new Map(returnedRows<ExecutionRow>(result).map((row) => [row.execution_id, row]));
  }

  /** Marks an execution failed because n8n reported an error in it (unless it already finished). */
  async recordError(manager: EntityManager, executionId: string, workflowId: string, leadId: string | undefined, message: string, node?: string): Promise<void> {
    const execution = await this.lockOrCreate(manager, executionId, workflowId, leadId);
    if (FINISHED.includes(execution.status)) return;
    execution.status = 'error';
    execution.error = message;
    if (node) execution.lastStep = node;
    execution.finishedAt = new Date();
    await manager.save(execution);
  }

  /** Inserts the execution if it is new (concurrent first reports cannot collide), then locks it. */
  private async lockOrCreate(manager: EntityManager, executionId: string, workflowId: string, leadId?: string): Promise<WorkflowExecution> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(WorkflowExecution)
      .values({ executionId, workflowId, leadId: leadId ?? null, status: 'running', startedAt: new Date() })
      .orIgnore()
      .execute();
    return manager.findOneOrFail(WorkflowExecution, { where: { executionId }, lock: { mode: 'pessimistic_write' } });
  }
}

export async function findLead(manager: EntityManager, id: string): Promise<Lead> {
  const lead = await manager.findOneBy(Lead, { id });
  if (!lead) throw new EntityNotFoundError('Lead', id);
  return lead;
}

export function executionBody(e: WorkflowExecution) {
  return {
    execution_id: e.executionId,
    workflow_id: e.workflowId,
    lead_id: e.leadId,
    status: e.status,
    progress: e.progress,
    last_step: e.lastStep,
    data: e.data,
    error: e.error,
    started_at: e.startedAt,
    finished_at: e.finishedAt,
  };
}

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

export function rowBody(row: ExecutionRow) {
  const { execution_id, workflow_id, lead_id, status, progress, last_step, data, error, started_at, finished_at } = row;
  return { execution_id, workflow_id, lead_id, status, progress, last_step, data, error, started_at, finished_at };
}

function isForeignKeyViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error as QueryFailedError & { driverError?: { code?: string } }).driverError?.code === '23503';
}
