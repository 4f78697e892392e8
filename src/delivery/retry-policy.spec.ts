import { isRetryableStatus, parseRetryAfter, retryDelay } from './retry-policy';

describe('retry policy', () => {
  it.each([408, 425, 429, 500, 502, 503, 504, 599])('retries status %i', (status) => {
    expect(isRetryableStatus(status)).toBe(true);
  });

  it.each([400, 401, 403, 404, 409, 410, 413, 415, 422])('treats status %i as permanent', (status) => {
    expect(isRetryableStatus(status)).toBe(false);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('1', now)).toBe(1000);
    expect(parseRetryAfter('2.5', now)).toBe(2500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('follows the configured delays with ±20 % jitter', () => {
    const delays = [5000, 30000, 300000];
    expect(retryDelay(1, delays, undefined, () => 0)).toBe(4000);
    expect(retryDelay(1, delays, undefined, () => 1)).toBe(6000);
    expect(retryDelay(2, delays, undefined, () => 0.5)).toBe(30000);
    expect(retryDelay(3, delays, undefined, () => 0.5)).toBe(300000);
    expect(retryDelay(9, delays, undefined, () => 0.5)).toBe(300000);
    for (let i = 0; i < 1000; i++) {
      const d = retryDelay(2, delays);
      expect(d).toBeGreaterThanOrEqual(24000);
      expect(d).toBeLessThanOrEqual(36000);
    }
  });

  it('honours Retry-After, capped at the last configured delay', () => {
    const delays = [5000, 30000, 300000];
    expect(retryDelay(1, delays, 1000)).toBe(1000);
    expect(retryDelay(1, delays, 3_600_000)).toBe(300000);
  });
});
