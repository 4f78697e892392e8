import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ConflictError, EntityNotFoundError } from '../common/errors/app-errors';
import { Lead } from '../domain/leads/lead.entity';
import { ExecutionStatus } from '../domain/statuses';
import { WorkflowExecution } from '../domain/workflow-executions/workflow-execution.entity';
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

  async status(dto: WorkflowStatusDto, manager: EntityManager): Promise<CallbackResult> {
    if (dto.lead_id) await findLead(manager, dto.lead_id);
    const execution = await this.lockOrCreate(manager, dto.execution_id, dto.workflow_id, dto.lead_id);
    if (FINISHED.includes(execution.status)) {
      // A finished execution is final; a late progress report changes nothing.
      return ok({ execution: executionBody(execution), ignored: dto.status === execution.status ? undefined : 'execution already finished' });
    }
    execution.status = dto.status;
    execution.leadId = dto.lead_id ?? execution.leadId;
    if (dto.progress !== undefined) execution.progress = dto.progress;
    if (dto.step !== undefined) execution.lastStep = dto.step;
    if (FINISHED.includes(dto.status)) execution.finishedAt = new Date();
    await manager.save(execution);
    return ok({ execution: executionBody(execution) });
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

