import { inspect } from 'node:util';

/** An error as `String(error)` shows it, a string as is, anything else as `util.inspect` shows it (not `[object Object]`). */
const describeThrown = (thrown: unknown): string =>
  thrown instanceof Error ? String(thrown) : typeof thrown === 'string' ? thrown : inspect(thrown);

/** Polls `check` until it returns a truthy value or the deadline passes (no fixed sleeps in tests). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 15000, intervalMs = 25, what = 'condition' } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${describeThrown(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
