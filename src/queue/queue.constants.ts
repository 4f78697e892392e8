import type { JobsOptions } from 'bullmq';
import type { EventType } from '../events/event-catalog';

/** The one queue every outgoing webhook goes through. */
export const DELIVERY_QUEUE = 'webhook-deliveries';

/** Name of the custom backoff strategy the delivery worker registers (see delivery/retry-policy.ts). */
export const WEBHOOK_BACKOFF = 'webhook';

/** A delivery job carries only the outbox row id: the row in Postgres is the source of truth. */
export interface DeliveryJobData {
  id: string;
}

/** Job names are the event types, so dashboards show what each job is. */
export type DeliveryJobName = EventType;

/**
 * BullMQ serves priority 0 before every prioritised job and lower numbers first, so our
 * 0 (normal) … 3 (critical) maps onto 4 … 1: critical first, and never BullMQ's 0.
 */
export function bullPriority(priority: number): number {
  const clamped = Math.min(3, Math.max(0, Math.trunc(priority)));
  return 4 - clamped;
}

/** Default options of every delivery job; only WebhookQueueService adds jobs. */
export function deliveryJobOptions(id: string, priority: number, retries: number): JobsOptions {
  return {
    jobId: id,
    priority: bullPriority(priority),
    attempts: retries + 1,
    backoff: { type: WEBHOOK_BACKOFF },
    removeOnComplete: { age: 3600, count: 5000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 50000 },
  };
}

/** A small queue of housekeeping jobs (retention), kept apart so it never waits behind deliveries. */
export const MAINTENANCE_QUEUE = 'maintenance';

/** Job names of the maintenance queue. */
export const RETENTION_JOB = 'retention-cleanup';

/** The job scheduler that adds RETENTION_JOB once a day (03:17 UTC, off the hour). */
export const RETENTION_SCHEDULER_ID = 'daily-retention';
export const RETENTION_SCHEDULE = { pattern: '17 3 * * *', tz: 'UTC' };

export interface RetentionJobData {
  olderThanDays: number;
  includeFailed: boolean;
}

/** Options of every maintenance job: a few retries, and a short history for the dashboard. */
export const MAINTENANCE_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 60_000 },
  removeOnComplete: { count: 30 },
  removeOnFail: { count: 30 },
};
