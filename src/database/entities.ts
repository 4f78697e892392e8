import { RetryHistory } from '../audit/retry-history.entity';
import { WebhookLog } from '../audit/webhook-log.entity';
import { Demo } from '../domain/demos/demo.entity';
import { OutreachEmail } from '../domain/emails/outreach-email.entity';
import { Lead } from '../domain/leads/lead.entity';
import { Video } from '../domain/videos/video.entity';
import { WorkflowExecution } from '../domain/workflow-executions/workflow-execution.entity';
import { OutboxEvent } from '../outbox/outbox-event.entity';
import { Subscription } from '../subscriptions/subscription.entity';
import { ProcessedCallback } from '../webhook-responses/processed-callback.entity';
import { WorkflowErrorReport } from '../webhook-responses/workflow-error-report.entity';

export const ENTITIES = [
  Lead,
  Demo,
  Video,
  OutreachEmail,
  WorkflowExecution,
  OutboxEvent,
  Subscription,
  RetryHistory,
  WebhookLog,
  ProcessedCallback,
  WorkflowErrorReport,
];
