import 'reflect-metadata';
import { ConfigValidationError } from './config.errors';
import { loadConfig } from './load-config';

/** The operations variables (docs/operations.md): typed when valid, refused with one line each when not. */
describe('loadConfig: operations variables', () => {
  it('types every operations variable', () => {
    const config = loadConfig({
      REPLAY_MAX_EVENTS: '25',
      RETENTION_DAYS: '0',
      RETENTION_INCLUDE_FAILED: 'yes',
      CIRCUIT_FAILURE_THRESHOLD: '3',
      CIRCUIT_COOLDOWN_MS: '1500',
      WEBHOOK_RATE_LIMIT_PER_SECOND: '20',
      INCOMING_RATE_LIMIT_PER_MINUTE: '0',
      ALERT_WEBHOOK_URL: 'https://alerts.example/webhook/bridge',
      ALERT_DEDUP_WINDOW_MS: '60000',
      WORKER_METRICS_PORT: '9464',
      ADMIN_AUTH_FAILURES_PER_MINUTE: '0',
      BULL_BOARD_READ_ONLY: 'false',
    });
    expect(config.operations).toEqual({ replayMaxEvents: 25, retentionDays: 0, retentionIncludeFailed: true });
    expect(config.circuit).toEqual({ failureThreshold: 3, cooldownMs: 1500 });
    expect(config.rateLimits).toEqual({ outgoingPerSecond: 20, incomingPerMinute: 0 });
    expect(config.alerts).toEqual({ webhookUrl: 'https://alerts.example/webhook/bridge', dedupWindowMs: 60000 });
    expect(config.metrics).toEqual({ workerPort: 9464 });
    expect(config.admin).toMatchObject({ authFailuresPerMinute: 0, bullBoardReadOnly: false });
  });

  it('throttles admin authentication failures and keeps Bull Board read-only by default', () => {
    expect(loadConfig({}).admin).toMatchObject({ authFailuresPerMinute: 10, bullBoardReadOnly: true });
    expect(loadConfig({ ADMIN_AUTH_FAILURES_PER_MINUTE: '25', BULL_BOARD_READ_ONLY: 'true' }).admin).toMatchObject({
      authFailuresPerMinute: 25,
      bullBoardReadOnly: true,
    });
  });

  it.each([
    ['REPLAY_MAX_EVENTS', '0'],
    ['RETENTION_DAYS', '-1'],
    ['CIRCUIT_COOLDOWN_MS', '50'],
    ['WEBHOOK_RATE_LIMIT_PER_SECOND', 'fast'],
    ['INCOMING_RATE_LIMIT_PER_MINUTE', '1.5'],
    ['ALERT_WEBHOOK_URL', 'ftp://alerts.example'],
    ['ALERT_DEDUP_WINDOW_MS', '10'],
    ['WORKER_METRICS_PORT', '70000'],
    ['ADMIN_AUTH_FAILURES_PER_MINUTE', '-1'],
    ['ADMIN_AUTH_FAILURES_PER_MINUTE', 'ten'],
    ['BULL_BOARD_READ_ONLY', 'maybe'],
  ])('refuses %s=%s', (name, value) => {
    let caught: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigValidationError);
    const problems = (caught as ConfigValidationError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]!.startsWith(`${name}:`)).toBe(true);
  });
});
