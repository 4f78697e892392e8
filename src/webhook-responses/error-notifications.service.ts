import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TriggerService } from '../triggers/trigger.service';
import { CallbackResult, ok } from './callback-result';
import { ErrorNotificationDto } from './dto/workflow-callbacks.dto';
import { WorkflowErrorReport } from './workflow-error-report.entity';
import { findLead, WorkflowExecutionsService } from './workflow-executions.service';

/**
 * Errors n8n reports: recorded, the execution marked failed, the lead put in `error` for
 * severity error or critical, and a `workflow_error` event (priority 3) raised, except for
 * errors of the alerting workflow itself (N8N_ALERT_WORKFLOW_ID), so no alert loop can form.
 */
@Injectable()
export class ErrorNotificationsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly triggers: TriggerService,
    private readonly executions: WorkflowExecutionsService,
  ) {}

  async report(dto: ErrorNotificationDto, manager: EntityManager): Promise<CallbackResult> {
    const lead = dto.lead_id ? await findLead(manager, dto.lead_id) : null;
    const raiseEvent = dto.workflow_id !== this.config.n8n.alertWorkflowId;
    const report = await manager.save(
      manager.create(WorkflowErrorReport, {
        workflowId: dto.workflow_id,
        executionId: dto.execution_id ?? null,
        leadId: dto.lead_id ?? null,
        node: dto.node ?? null,
        errorMessage: dto.error_message,
        severity: dto.severity,
        eventRaised: raiseEvent,
      }),
    );
    if (dto.execution_id)
      await this.executions.recordError(manager, dto.execution_id, dto.workflow_id, dto.lead_id, dto.error_message, dto.node);
    if (lead && dto.severity !== 'warning' && lead.status !== 'error') {
      lead.status = 'error';
      await manager.save(lead);
    }
    const event = raiseEvent
      ? await this.triggers.workflowError(
          {
            workflow_id: dto.workflow_id,
            execution_id: dto.execution_id ?? null,
            lead_id: dto.lead_id ?? null,
            node: dto.node ?? null,
            error_message: dto.error_message,
            severity: dto.severity,
            source: 'n8n',
          },
          { manager },
        )
      : undefined;
    return ok({ report_id: report.id, lead_status: lead?.status ?? null, event_id: event?.id ?? null });
  }
}
