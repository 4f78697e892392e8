import { DELIVERY_STATUSES, DeliveryStatus } from './outbox-event.entity';

/**
 * The state machine of an outgoing event (`webhook_queue.status`), written down once. Every
 * status change is a named transition of DeliveryRepository; its UPDATE only touches rows whose
 * status is in the transition's `from` set (built from this table), so a transition that is not
 * allowed does not happen, whatever runs concurrently.
 *
 *   record → pending (cancelled for a disabled subscription) ─publish→ queued ─claim→ sending ─recordAttempt→ sent | retrying | failed | cancelled
 *   the job is added right after commit without writing the row, so claim usually takes it `pending`;
 *   publish is the relay confirming, a second later, a row still unclaimed (its job found or re-added);
 *   claim also takes retrying rows, and sending ones (a stalled job run again);
 *   hold: sending → queued | retrying          cancel: pending | queued | retrying → cancelled
 *   retry, replay: finished → queued           requeueLost (relay): queued | retrying | sending → queued
 *   cleanUp deletes finished rows.
 */

/** Not finished: a job is (or should be) in the queue for these rows. */
export const IN_QUEUE = ['pending', 'queued', 'retrying', 'sending'] as const satisfies readonly DeliveryStatus[];
/** Finished: no worker holds the row and none will, until an operator sends it again. */
export const FINISHED = ['sent', 'failed', 'cancelled'] as const satisfies readonly DeliveryStatus[];

export interface Transition {
  /** Statuses a row may have for the transition to apply (empty: the row is created). */
  readonly from: readonly DeliveryStatus[];
  /** Statuses it may leave the row in (empty: the row is deleted). */
  readonly to: readonly DeliveryStatus[];
}

export const TRANSITIONS = {
  /** The outbox writes the row in the transaction that raised the event (`cancelled` for a disabled subscription). */
  record: { from: [], to: ['pending', 'cancelled'] },
  /** The relay found the job of a row still `pending` a second after commit in the queue (or added it). */
  publish: { from: ['pending'], to: ['queued'] },
  /** The relay found no job for a row the database says is in the queue (Redis lost it); a `sending` row stays `sending`. */
  requeueLost: { from: ['queued', 'retrying', 'sending'], to: ['queued', 'sending'] },
  /**
   * A worker takes the row for an attempt; `sending` again when a stalled job is re-run. Never a
   * finished row, nor a `per_entity` delivery whose predecessor is not finished.
   */
  claim: { from: IN_QUEUE, to: ['sending'] },
  /** The target's circuit is open: the row goes back to how it was before the claim, no attempt spent. */
  hold: { from: ['sending'], to: ['queued', 'retrying'] },
  /**
   * An attempt's outcome. From any status: the attempt happened (the receiver may have the
   * webhook), so it is recorded whatever the row says meanwhile.
   */
  recordAttempt: { from: DELIVERY_STATUSES, to: ['sent', 'retrying', 'failed', 'cancelled'] },
  /** An operator takes an event out of the queue. Not `sending`: a worker holds that row. */
  cancel: { from: ['pending', 'queued', 'retrying'], to: ['cancelled'] },
  /** An operator sends a failed or cancelled event again (same id, attempts reset). */
  retry: { from: ['failed', 'cancelled'], to: ['queued'] },
  /** An operator sends finished events again, by ids or by filter. */
  replay: { from: FINISHED, to: ['queued'] },
  /** Retention deletes finished rows (failed ones only when asked). */
  cleanUp: { from: FINISHED, to: [] },
} as const satisfies Record<string, Transition>;

export type TransitionName = keyof typeof TRANSITIONS;
type From<T extends TransitionName> = (typeof TRANSITIONS)[T]['from'][number];
type To<T extends TransitionName> = (typeof TRANSITIONS)[T]['to'][number];

export type AttemptStatus = To<'recordAttempt'>;
export type CancellableStatus = From<'cancel'>;
export type RetryableStatus = From<'retry'>;
export type ReplayableStatus = From<'replay'>;
export type HeldStatus = To<'hold'>;

export const CANCELLABLE: readonly CancellableStatus[] = TRANSITIONS.cancel.from;
export const RETRYABLE: readonly RetryableStatus[] = TRANSITIONS.retry.from;
export const REPLAYABLE: readonly ReplayableStatus[] = TRANSITIONS.replay.from;

/** The table refuses a transition it does not list (a programming error: the SQL guards the data). */
export class TransitionNotAllowedError extends Error {
  constructor(
    readonly transition: TransitionName,
    readonly status: DeliveryStatus,
    readonly side: 'from' | 'to',
  ) {
    super(`Transition ${transition} does not go ${side} ${status}`);
    this.name = 'TransitionNotAllowedError';
  }
}

export function canLeave(transition: TransitionName, status: DeliveryStatus): boolean {
  return (TRANSITIONS[transition].from as readonly DeliveryStatus[]).includes(status);
}

export function canReach(transition: TransitionName, status: DeliveryStatus): boolean {
  return (TRANSITIONS[transition].to as readonly DeliveryStatus[]).includes(status);
}

/** `statuses`, checked against the transition's `from` set (for a caller narrowing it, e.g. replay of failed events only). */
export function fromStatuses(
  transition: TransitionName,
  statuses: readonly DeliveryStatus[] = TRANSITIONS[transition].from,
): DeliveryStatus[] {
  for (const status of statuses) if (!canLeave(transition, status)) throw new TransitionNotAllowedError(transition, status, 'from');
  return [...statuses];
}

/** `status`, checked against the transition's `to` set. */
export function toStatus<T extends TransitionName>(transition: T, status: To<T>): To<T> {
  if (!canReach(transition, status)) throw new TransitionNotAllowedError(transition, status, 'to');
  return status;
}

/**
 * The SQL condition "`column` is in the transition's `from` set", to append to a WHERE clause:
 * ` AND status = 'pending'`, ` AND q.status IN ('pending', 'queued')`, or nothing when every
 * status is allowed. Statuses are this table's constants, written as literals so that each
 * statement keeps one plan (and a partial index on `status = 'pending'` still applies).
 */
export function andFrom(transition: TransitionName, column = 'status'): string {
  const from = TRANSITIONS[transition].from as readonly DeliveryStatus[];
  if (from.length === 0) throw new Error(`Transition ${transition} applies to no existing row`);
  if (DELIVERY_STATUSES.every((s) => from.includes(s))) return '';
  return ` AND ${statusCondition(column, from)}`;
}

/** `column = 'a'` or `column IN ('a', 'b')` for a set of statuses. */
export function statusCondition(column: string, statuses: readonly DeliveryStatus[]): string {
  if (statuses.length === 0) throw new Error('No status to match');
  for (const s of statuses) if (!(DELIVERY_STATUSES as readonly string[]).includes(s)) throw new Error(`Not a delivery status: ${s}`);
  return statuses.length === 1 ? `${column} = '${statuses[0]}'` : `${column} IN (${statuses.map((s) => `'${s}'`).join(', ')})`;
}
