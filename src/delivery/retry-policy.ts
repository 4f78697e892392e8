/**
 * When to retry an outgoing webhook and how long to wait: a small pure module so the rules
 * can be read and tested in one place.
 */

/** Statuses worth another attempt: timeouts, too early, rate limits and server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

export function isSuccessStatus(status: number): boolean {
  return status >= 200 && status < 300;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  const trimmed = raw.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export const JITTER = 0.2;

/**
 * Delay before retry number `retry` (1 = first retry): the configured delay with ±20 % jitter,
 * or the receiver's Retry-After (capped at the last configured delay) when it sent one.
 */
export function retryDelay(retry: number, delays: number[], retryAfterMs?: number, random: () => number = Math.random): number {
  const last = delays[delays.length - 1] ?? 0;
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), last);
  const base = delays[Math.min(Math.max(retry, 1), delays.length) - 1] ?? last;
  const factor = 1 - JITTER + random() * 2 * JITTER;
  return Math.max(0, Math.round(base * factor));
}
