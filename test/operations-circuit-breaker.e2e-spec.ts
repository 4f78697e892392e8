import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/load-config';
import { CircuitBreakerService } from '../src/circuit-breaker/circuit-breaker.service';
import { closeRedisClient } from '../src/redis/redis.module';
import { baseTestEnv, deleteRedisPrefix, TEST_REDIS_URL } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * The circuit breaker's shared state machine against the real Redis: two service instances with
 * their own connections stand for two worker processes.
 */
describe('circuit breaker state in Redis (two processes)', () => {
  const prefix = `test-${randomBytes(6).toString('hex')}`;
  const clients: Redis[] = [];
  const target = 'http://n8n.test/webhook/lead-scraped';

  function breaker(env: Record<string, string> = {}): CircuitBreakerService {
    const config = loadConfig(
      baseTestEnv({ QUEUE_PREFIX: prefix, CIRCUIT_FAILURE_THRESHOLD: '3', CIRCUIT_COOLDOWN_MS: '300', WEBHOOK_TIMEOUT_MS: '1000', ...env }),
    );
    const client = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1, disconnectTimeout: 0 });
    clients.push(client);
    return new CircuitBreakerService(client, config);
  }

  afterAll(async () => {
    await Promise.all(clients.map((c) => closeRedisClient(c)));
    await deleteRedisPrefix(prefix);
  });

  it('opens after N consecutive failures for every process, lets one probe through after the cool-down, and closes on its success', async () => {
    const one = breaker();
    const two = breaker();
    expect(await one.recordFailure(target)).toBe('none');
    expect(await two.recordFailure(target)).toBe('none');
    expect(await one.admit(target)).toEqual({ allowed: true, probe: false });
    expect(await two.recordFailure(target)).toBe('opened');

    // Process one trusted its closed circuit for a quarter of the cool-down at most; it sees the open circuit after that.
    const refused = await waitFor(
      async () => {
        const admission = await one.admit(target);
        return admission.allowed ? undefined : admission;
      },
      { timeoutMs: 1000, what: 'process one refused' },
    );
    expect(refused.allowed).toBe(false);
    expect(refused.waitMs).toBeLessThanOrEqual(300);
    expect((await two.admit(target)).allowed).toBe(false);
    expect(await one.list()).toMatchObject([{ target, state: 'open', consecutive_failures: 3 }]);

    // After the cool-down exactly one caller becomes the probe; the others keep waiting.
    const probe = await waitFor(
      async () => {
        const admission = await two.admit(target);
        return admission.allowed ? admission : undefined;
      },
      { timeoutMs: 3000, what: 'probe admitted' },
    );
    expect(probe).toEqual({ allowed: true, probe: true });
    expect((await one.admit(target)).allowed).toBe(false);
    expect((await one.list())[0]!.state).toBe('half_open');

    await two.recordSuccess(target);
    expect(await one.list()).toMatchObject([{ target, state: 'closed', consecutive_failures: 0, opened_at: null, retry_at: null }]);
    // The other process learns it at its next check (its cached refusal lasts at most the re-check interval).
    await waitFor(async () => (await one.admit(target)).allowed, { timeoutMs: 3000, what: 'closed for process one' });
  });

  it('re-opens when the probe fails', async () => {
    const one = breaker();
    const other = 'http://n8n.test/webhook/demo-failed';
    for (let i = 0; i < 3; i++) await one.recordFailure(other);
    await waitFor(async () => (await one.admit(other)).allowed, { timeoutMs: 3000, what: 'probe admitted' });
    expect(await one.recordFailure(other)).toBe('reopened');
    expect((await one.admit(other)).allowed).toBe(false);
    expect((await one.list()).find((c) => c.target === other)).toMatchObject({ state: 'open', consecutive_failures: 4 });
  });

  it('counts consecutive failures only: an answer from the target resets the streak', async () => {
    const one = breaker();
    const flaky = 'http://n8n.test/webhook/flaky';
    await one.recordFailure(flaky);
    await one.recordFailure(flaky);
    await one.recordSuccess(flaky);
    expect(await one.recordFailure(flaky)).toBe('none');
    expect(await one.recordFailure(flaky)).toBe('none');
    expect(await one.admit(flaky)).toEqual({ allowed: true, probe: false });
    expect((await one.list()).find((c) => c.target === flaky)).toMatchObject({ state: 'closed', consecutive_failures: 2 });
  });

  it('does nothing with CIRCUIT_FAILURE_THRESHOLD=0', async () => {
    const off = breaker({ CIRCUIT_FAILURE_THRESHOLD: '0' });
    const url = 'http://n8n.test/webhook/off';
    for (let i = 0; i < 5; i++) expect(await off.recordFailure(url)).toBe('none');
    expect(await off.admit(url)).toEqual({ allowed: true, probe: false });
    expect(await off.list()).toEqual([]);
  });
});
