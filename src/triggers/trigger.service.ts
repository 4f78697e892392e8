import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { Demo } from '../domain/demos/demo.entity';
import type { OutreachEmail } from '../domain/emails/outreach-email.entity';
import { Lead } from '../domain/leads/lead.entity';
import type { Video } from '../domain/videos/video.entity';
import type { EventPriority, EventType } from '../events/event-catalog';
import type { EventEnvelope, EventInput } from '../events/event-envelope';
import type { WorkflowErrorData } from '../events/payloads';
import { OutboxService } from '../outbox/outbox.service';
import { demoData, emailData, leadData, videoData } from './event-data';

export interface EmitOptions {
  /** Joins the caller's transaction: the event is recorded with the change and sent only if it commits. */
  manager?: EntityManager;
  priority?: EventPriority;
}

/**
 * Where services raise outgoing events. Every method records the event in the outbox through
 * the given EntityManager (or on its own when none is given) and returns the envelope.
 */
@Injectable()
export class TriggerService {
  constructor(
    private readonly outbox: OutboxService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async emit(type: EventType, input: Omit<EventInput, 'type'>, options: EmitOptions = {}): Promise<EventEnvelope | undefined> {
    const [envelope] = await this.outbox.record([{ ...input, type, priority: options.priority ?? input.priority }], options.manager);
    return envelope;
  }

  emitMany(inputs: EventInput[], options: Pick<EmitOptions, 'manager'> = {}): Promise<EventEnvelope[]> {
    return this.outbox.record(inputs, options.manager);
  }

  leadScraped(lead: Lead, options?: EmitOptions) {
    return this.emit('lead_scraped', { entity: { type: 'lead', id: lead.id }, data: { lead: leadData(lead) } }, options);
  }

  leadQualified(lead: Lead, previousStatus: string | null, options?: EmitOptions) {
    return this.emit(
      'lead_qualified',
      { entity: { type: 'lead', id: lead.id }, data: { lead: leadData(lead), previous_status: previousStatus } },
      options,
    );
  }

  leadResponded(lead: Lead, previousStatus: string | null, options?: EmitOptions) {
    return this.emit(
      'lead_responded',
      { entity: { type: 'lead', id: lead.id }, data: { lead: leadData(lead), previous_status: previousStatus } },
      options,
    );
  }

  async demoCompleted(demo: Demo, options?: EmitOptions) {
    return this.emit(
      'demo_completed',
      { entity: { type: 'demo', id: demo.id }, data: { demo: demoData(demo), lead: await this.lead(demo.leadId, options) } },
      options,
    );
  }

  async demoFailed(demo: Demo, options?: EmitOptions) {
    const data = { demo: demoData(demo), lead: await this.lead(demo.leadId, options), error: demo.error ?? null };
    return this.emit('demo_failed', { entity: { type: 'demo', id: demo.id }, data }, options);
  }

  async videoCompleted(video: Video, options?: EmitOptions) {
    return this.emit(
      'video_completed',
      { entity: { type: 'video', id: video.id }, data: { video: videoData(video), lead: await this.lead(video.leadId, options) } },
      options,
    );
  }

  async videoFailed(video: Video, options?: EmitOptions) {
    const data = { video: videoData(video), lead: await this.lead(video.leadId, options), error: video.error ?? null };
    return this.emit('video_failed', { entity: { type: 'video', id: video.id }, data }, options);
  }

  async emailSent(email: OutreachEmail, options?: EmitOptions) {
    return this.emit(
      'email_sent',
      { entity: { type: 'email', id: email.id }, data: { email: emailData(email), lead: await this.lead(email.leadId, options) } },
      options,
    );
  }

  async emailFailed(email: OutreachEmail, options?: EmitOptions) {
    const data = { email: emailData(email), lead: await this.lead(email.leadId, options), error: email.error ?? null };
    return this.emit('email_failed', { entity: { type: 'email', id: email.id }, data }, options);
  }

  /** A demo or a video now awaits a human decision. */
  async approvalRequested(subject: { kind: 'demo'; demo: Demo } | { kind: 'video'; video: Video }, options?: EmitOptions) {
    const row = subject.kind === 'demo' ? subject.demo : subject.video;
    const data = {
      subject: subject.kind,
      ...(subject.kind === 'demo' ? { demo: demoData(subject.demo) } : { video: videoData(subject.video) }),
      lead: await this.lead(row.leadId, options),
    };
    return this.emit('approval_requested', { entity: { type: subject.kind, id: row.id }, data }, options);
  }

  workflowError(error: WorkflowErrorData, options?: EmitOptions) {
    const entity = error.lead_id ? { type: 'lead', id: error.lead_id } : { type: 'workflow', id: error.workflow_id };
    return this.emit('workflow_error', { entity, data: { ...error } }, options);
  }

  private async lead(id: string, options?: EmitOptions) {
    const manager = options?.manager ?? this.dataSource.manager;
    const lead = await manager.findOneBy(Lead, { id });
    return lead ? leadData(lead) : null;
  }
}
