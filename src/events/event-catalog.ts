/**
 * The eleven outgoing event types, their default priority (0 normal … 3 critical)
 * and the n8n webhook path each one is delivered to by default.
 */
export const EVENT_TYPES = [
  'lead_scraped',
  'lead_qualified',
  'demo_completed',
  'demo_failed',
  'video_completed',
  'video_failed',
  'email_sent',
  'email_failed',
  'lead_responded',
  'approval_requested',
  'workflow_error',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export type EventPriority = 0 | 1 | 2 | 3;

export const DEFAULT_PRIORITY: Record<EventType, EventPriority> = {
  lead_scraped: 0,
  lead_qualified: 0,
  demo_completed: 1,
  demo_failed: 2,
  video_completed: 1,
  video_failed: 2,
  email_sent: 0,
  email_failed: 2,
  lead_responded: 2,
  approval_requested: 2,
  workflow_error: 3,
};

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

/** `lead_scraped` → `lead-scraped`, the default n8n webhook path segment. */
export function eventPath(type: EventType): string {
  return type.replace(/_/g, '-');
}

/** `lead_scraped` → `N8N_WEBHOOK_URL_LEAD_SCRAPED`, the per-event URL override variable. */
export function eventUrlVariable(type: EventType): string {
  return `N8N_WEBHOOK_URL_${type.toUpperCase()}`;
}
