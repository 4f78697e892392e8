/** Status vocabularies of the domain; each is a Postgres enum too, so the database refuses other values. */
export const LEAD_STATUSES = ['new', 'qualified', 'disqualified', 'contacted', 'responded', 'converted', 'error'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

export const DEMO_STATUSES = ['pending', 'building', 'completed', 'failed'] as const;
export type DemoStatus = (typeof DEMO_STATUSES)[number];

export const VIDEO_STATUSES = ['queued', 'rendering', 'completed', 'failed'] as const;
export type VideoStatus = (typeof VIDEO_STATUSES)[number];

export const APPROVAL_STATUSES = ['not_required', 'pending', 'approved', 'rejected'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export const EMAIL_STATUSES = ['queued', 'sent', 'failed'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

export const EXECUTION_STATUSES = ['running', 'waiting', 'success', 'error'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
