import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ConflictError, EntityNotFoundError } from '../common/errors/app-errors';
import { isForeignKeyViolation } from '../database/postgres-errors';
import { Lead } from '../domain/leads/lead.entity';
import { ExecutionStatus } from '../domain/statuses';
import { WorkflowExecution } from '../domain/workflow-executions/workflow-execution.entity';
import { CallbackResult, ok } from './callback-result';
import { WorkflowCompletedDto, WorkflowStatusDto } from './dto/workflow-callbacks.dto';
import { ExecutionRow, WorkflowExecutionRepository } from './workflow-execution.repository';

const FINISHED: ExecutionStatus[] = ['success', 'error'];

/**
 * Progress and completion of n8n executions (`workflow_executions`, keyed by execution id).
 * A finished execution is final: a late `running`/`waiting` is ignored, and a completion that
 * contradicts the recorded outcome is a 409.
 */
@Injectable()
export class WorkflowExecutionsService {
  constructor(private readonly executions: WorkflowExecutionRepository) {}

  async completed(dto: WorkflowCompletedDto, manager: EntityManager): Promise<CallbackResult> {
    const lead = dto.lead_id ? await findLead(manager, dto.lead_id) : null;
    const execution = await this.executions.lockOrCreate(manager, dto.execution_id, dto.workflow_id, dto.lead_id);
    if (FINISHED.includes(execution.status)) {
      if (execution.status !== dto.status)
        throw new ConflictError(`Execution ${dto.execution_id} already finished with ${execution.status}`, executionBody(execution));
      return ok({ execution: executionBody(execution) });
    }
    execution.status = dto.status;
    execution.workflowId = dto.workflow_id;
    execution.leadId = dto.lead_id ?? execution.leadId;
    execution.data = { ...execution.data, ...(dto.result ?? {}) };
    execution.finishedAt = dto.finished_at ? new Date(dto.finished_at) : new Date();
    if (dto.status === 'success') execution.progress = 100;
    await this.executions.save(manager, execution);
    if (lead) {
      lead.metadata = {
        ...lead.metadata,
        last_workflow: {
          workflow_id: dto.workflow_id,
          execution_id: dto.execution_id,
          status: dto.status,
          finished_at: execution.finishedAt.toISOString(),
        },
      };
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
    const current = await this.executions.get(manager, dto.execution_id);
    return ok({ execution: executionBody(current), ignored: dto.status === current.status ? undefined : 'execution already finished' });
  }

  /**
   * Inserts each execution or updates it unless it already finished, in one statement (each
   * execution at most once per call). Returns the rows it wrote; a finished one is not among them.
   */
  upsertStatuses(manager: EntityManager, reports: WorkflowStatusDto[]): Promise<Map<string, ExecutionRow>> {
    return this.executions.upsertStatuses(manager, reports);
  }

  /** Marks an execution failed because n8n reported an error in it (unless it already finished). */
  async recordError(
    manager: EntityManager,
    executionId: string,
    workflowId: string,
    leadId: string | undefined,
    message: string,
    node?: string,
  ): Promise<void> {
    const execution = await this.executions.lockOrCreate(manager, executionId, workflowId, leadId);
    if (FINISHED.includes(execution.status)) return;
    execution.status = 'error';
    execution.error = message;
    if (node) execution.lastStep = node;
    execution.finishedAt = new Date();
    await this.executions.save(manager, execution);
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

export function rowBody(row: ExecutionRow) {
  const { execution_id, workflow_id, lead_id, status, progress, last_step, data, error, started_at, finished_at } = row;
  return { execution_id, workflow_id, lead_id, status, progress, last_step, data, error, started_at, finished_at };
}
