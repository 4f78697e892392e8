import { attemptOutcome, AttemptContext, describeFailure, isTargetFailure } from './attempt-outcome';

const DELAYS = [5000, 30000, 300000];
const at = (attempt: number, over: Partial<AttemptContext> = {}): AttemptContext => ({
  attempt,
  maxAttempts: 4,
  retryDelaysMs: DELAYS,
  random: () => 0.5,
  ...over,
});

describe('attempt outcome', () => {
  it.each([200, 201, 202, 204, 299])('a %i is sent', (status) => {
    expect(attemptOutcome({ status, body: 'ok' }, at(1))).toEqual({ status: 'sent' });
    expect(isTargetFailure({ status })).toBe(false);
  });

  it.each([408, 425, 429, 500, 502, 503, 504])('a %i is retried after the configured delay', (status) => {
    expect(attemptOutcome({ status, body: 'busy' }, at(1))).toEqual({ status: 'retrying', error: `HTTP ${status}: busy`, delayMs: 5000 });
    expect(attemptOutcome({ status }, at(2))).toMatchObject({ status: 'retrying', delayMs: 30000 });
    expect(isTargetFailure({ status })).toBe(true);
  });

  it('retries a network error or a timeout, quoting it', () => {
    const timeout = { error: 'timeout: no response within 30000 ms' };
    expect(attemptOutcome(timeout, at(3))).toEqual({ status: 'retrying', error: timeout.error, delayMs: 300000 });
    expect(isTargetFailure(timeout)).toBe(true);
  });

  it('puts ±20 % jitter on the delay', () => {
    expect(attemptOutcome({ status: 503 }, at(1, { random: () => 0 }))).toMatchObject({ delayMs: 4000 });
    expect(attemptOutcome({ status: 503 }, at(1, { random: () => 1 }))).toMatchObject({ delayMs: 6000 });
  });

  it("honours the receiver's Retry-After, seconds or a date, capped at the last delay", () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(attemptOutcome({ status: 429, headers: { 'retry-after': '2' } }, at(1, { now }))).toMatchObject({
      status: 'retrying',
      delayMs: 2000,
    });
    expect(attemptOutcome({ status: 503, headers: { 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' } }, at(1, { now }))).toMatchObject({
      delayMs: 30000,
    });
    expect(attemptOutcome({ status: 503, headers: { 'retry-after': '86400' } }, at(1, { now }))).toMatchObject({ delayMs: 300000 });
    expect(attemptOutcome({ status: 503, headers: { 'retry-after': 'later' } }, at(1, { now }))).toMatchObject({ delayMs: 5000 });
  });

  it('fails for good, still retryable, once the last attempt failed', () => {
    expect(attemptOutcome({ status: 503, body: '' }, at(4))).toEqual({ status: 'failed', error: 'HTTP 503', retryable: true });
    expect(attemptOutcome({ error: 'network error ECONNREFUSED: connect' }, at(1, { maxAttempts: 1 }))).toEqual({
      status: 'failed',
      error: 'network error ECONNREFUSED: connect',
      retryable: true,
    });
  });

  it.each([400, 401, 403, 404, 410, 413, 422])('a %i fails at once, permanent, whatever the attempts left', (status) => {
    expect(attemptOutcome({ status, body: 'no' }, at(1))).toEqual({ status: 'failed', error: `HTTP ${status}: no`, retryable: false });
    expect(isTargetFailure({ status })).toBe(false);
  });

  it('a redirect is not a success and not worth a retry', () => {
    expect(attemptOutcome({ status: 302 }, at(1))).toMatchObject({ status: 'failed', retryable: false });
  });

  it('quotes at most 200 characters of the body, whitespace folded, made storable', () => {
    expect(describeFailure({ status: 500, body: 'a\n\n  b\u0000c' })).toBe('HTTP 500: a b\uFFFDc');
    expect(describeFailure({ status: 500, body: 'x'.repeat(1000) })).toBe(`HTTP 500: ${'x'.repeat(200)}…[truncated 800 chars]`);
    expect(describeFailure({ error: 'bad\u0000' })).toBe('bad\uFFFD');
  });
});
