import type { Demo } from '../domain/demos/demo.entity';
import type { OutreachEmail } from '../domain/emails/outreach-email.entity';
import type { Lead } from '../domain/leads/lead.entity';
import type { Video } from '../domain/videos/video.entity';

/**
 * The snake_case shapes of domain rows inside event payloads, so a workflow has what it
 * needs without calling back.
 */
const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

export function leadData(lead: Lead) {
  return {
    id: lead.id,
    title: lead.title,
    url: lead.url,
    email: lead.email ?? null,
    phone: lead.phone ?? null,
    city: lead.city ?? null,
    category: lead.category ?? null,
    source: lead.source ?? null,
    score: lead.score ?? null,
    status: lead.status,
    metadata: lead.metadata ?? {},
    created_at: iso(lead.createdAt),
    updated_at: iso(lead.updatedAt),
  };
}

export function demoData(demo: Demo) {
  return {
    id: demo.id,
    lead_id: demo.leadId,
    url: demo.url ?? null,
    status: demo.status,
    approval_status: demo.approvalStatus,
    error: demo.error ?? null,
    reviewed_by: demo.reviewedBy ?? null,
    reviewed_at: iso(demo.reviewedAt),
    metadata: demo.metadata ?? {},
    created_at: iso(demo.createdAt),
    updated_at: iso(demo.updatedAt),
  };
}

export function videoData(video: Video) {
  return {
    id: video.id,
    lead_id: video.leadId,
    demo_id: video.demoId ?? null,
    url: video.url ?? null,
    status: video.status,
    approval_status: video.approvalStatus,
    error: video.error ?? null,
    reviewed_by: video.reviewedBy ?? null,
    reviewed_at: iso(video.reviewedAt),
    metadata: video.metadata ?? {},
    created_at: iso(video.createdAt),
    updated_at: iso(video.updatedAt),
  };
}

export function emailData(email: OutreachEmail) {
  return {
    id: email.id,
    lead_id: email.leadId,
    video_id: email.videoId ?? null,
    to_address: email.toAddress ?? null,
    subject: email.subject ?? null,
    status: email.status,
    error: email.error ?? null,
    sent_at: iso(email.sentAt),
    created_at: iso(email.createdAt),
  };
}

export interface WorkflowErrorData {
  workflow_id: string;
  execution_id?: string | null;
  lead_id?: string | null;
  node?: string | null;
  error_message: string;
  severity: 'warning' | 'error' | 'critical';
  /** Where the error was raised: an n8n error-notification callback, or a service of this backend. */
  source: string;
}
