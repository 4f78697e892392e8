import { sanitizeText, TEXT_LIMITS } from '../common/text/sanitize-text';
import { isRetryableStatus, isSuccessStatus, parseRetryAfter, retryDelay } from './retry-policy';

/** What one POST gave: a status line (with headers and a body excerpt), or a network error / timeout. */
export interface AttemptResult {
  status?: number;
  headers?: Record<string, string | string[] | undefined>;
  body?: string;
  error?: string;
}

export interface AttemptContext {
  /** This attempt's number, from 1. */
  attempt: number;
  maxAttempts: number;
  /** WEBHOOK_RETRY_DELAYS_MS. */
  retryDelaysMs: number[];
  random?: () => number;
  now?: number;
}

/** What an attempt's result means for the delivery. */
export type AttemptOutcome =
  | { status: 'sent' }
  | { status: 'retrying'; error: string; delayMs: number }
  /** `retryable`: the target may recover (the attempts are spent), otherwise the answer is permanent (a 4xx). */
  | { status: 'failed'; error: string; retryable: boolean };

/** How much of a failed answer's body its error quotes. */
const FAILURE_SNIPPET_CHARS = 200;

/**
 * The target did not answer, or answered with a status worth another attempt (408, 425, 429,
 * 5xx): a failure of the target, counted by its circuit. Any other answer (2xx, a permanent 4xx)
 * shows the target is up.
 */
export function isTargetFailure(result: AttemptResult): boolean {
  return result.status === undefined || isRetryableStatus(result.status);
}

/**
 * The decision, pure: a 2xx is `sent`; a network error, a timeout or a retryable status is
 * `retrying` after the configured delay with jitter (or the receiver's Retry-After, capped at the
 * last delay) while attempts remain, then `failed` (retryable); any other status is `failed`
 * (permanent) at once.
 */
export function attemptOutcome(result: AttemptResult, context: AttemptContext): AttemptOutcome {
  if (result.status !== undefined && isSuccessStatus(result.status)) return { status: 'sent' };
  const error = describeFailure(result);
  const retryable = isTargetFailure(result);
  if (retryable && context.attempt < context.maxAttempts) {
    const retryAfter = parseRetryAfter(result.headers?.['retry-after'], context.now);
    return { status: 'retrying', error, delayMs: retryDelay(context.attempt, context.retryDelaysMs, retryAfter, context.random) };
  }
  return { status: 'failed', error, retryable };
}

/**
 * The error stored for a failed attempt (last_error, history, log reason). It quotes what the
 * receiver sent, so it is made storable (NUL, unpaired surrogates) and bounded here, whatever
 * the sender already did.
 */
export function describeFailure(result: AttemptResult): string {
  if (result.error) return sanitizeText(result.error, TEXT_LIMITS.reason);
  const snippet = sanitizeText((result.body ?? '').replace(/\s+/g, ' '), FAILURE_SNIPPET_CHARS);
  return `HTTP ${result.status}${snippet ? `: ${snippet}` : ''}`;
}
