import 'reflect-metadata';
import { ConfigValidationError } from './config.errors';
import { DEVELOPMENT_WEBHOOK_SECRET, loadConfig } from './load-config';

type Env = Record<string, string | undefined>;

const STRONG_SECRET = 'k7Qz1pX9vR4mT2wY8nB6cD3fG5hJ0lA1sE7uI9oP';
const STRONG_SECRET_2 = 'Zr8Lq3Vn6Xc1Bm4Wt7Ys0Hd2Jf5Kg9Pa3Ue6Io8R';
const ADMIN = 'adm1n-t0ken-9f8e7d6c5b4a3f2e1d0c';

/** A production environment that loads; each production test breaks one thing in it. */
const PRODUCTION: Env = { NODE_ENV: 'production', WEBHOOK_SECRET: STRONG_SECRET, ADMIN_TOKEN: ADMIN };

/** Runs `loadConfig` expecting a refusal and returns its problem lines. */
function problemsOf(env: Env): string[] {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigValidationError);
  const error = caught as ConfigValidationError;
  expect(error.message).toContain('Invalid configuration');
  return error.problems;
}

/** Exactly one problem, on `name`, and none of `secrets` in it. */
function expectSingleProblem(env: Env, name: string, secrets: string[] = []): string {
  const problems = problemsOf(env);
  expect(problems).toHaveLength(1);
  expect(problems[0].startsWith(`${name}:`) || problems[0].startsWith(`${name} (`)).toBe(true);
  for (const secret of secrets) expect(problems[0]).not.toContain(secret);
  return problems[0];
}

describe('loadConfig', () => {
  describe('defaults', () => {
    it('builds a complete development config from an empty environment', () => {
      const config = loadConfig({});
      expect(config).toEqual({
        env: 'development',
        port: 3000,
        role: 'all',
        logLevel: 'info',
        bodyLimit: '1mb',
        database: { url: 'postgres://postgres@127.0.0.1:5432/n8n_bridge', migrationsRun: true, poolSize: 20 },
        redis: { url: 'redis://127.0.0.1:6379', queuePrefix: 'bridge' },
        n8n: { baseUrl: 'http://127.0.0.1:5678', webhookUrls: {}, disabledEvents: [], alertWorkflowId: undefined, jwtSecret: undefined },
        webhook: {
          secrets: [DEVELOPMENT_WEBHOOK_SECRET],
          usingDevelopmentSecret: true,
          scheme: 'hmac-sha256',
          toleranceSeconds: 300,
          timeoutMs: 30000,
          retryDelaysMs: [5000, 30000, 300000],
          concurrency: 50,
          testEndpointEnabled: false,
        },
        outbox: { relayIntervalMs: 5000 },
        admin: { token: undefined, user: undefined, password: undefined },
        operations: { replayMaxEvents: 1000, retentionDays: 30, retentionIncludeFailed: false },
        circuit: { failureThreshold: 10, cooldownMs: 60000 },
        rateLimits: { outgoingPerSecond: 0, incomingPerMinute: 600 },
        alerts: { webhookUrl: undefined, dedupWindowMs: 900000 },
        metrics: { workerPort: 0 },
      });
    });

    it('types every value it reads', () => {
      const config = loadConfig({
        NODE_ENV: 'test',
        PORT: '8080',
        APP_ROLE: 'worker',
        LOG_LEVEL: 'debug',
        DB_MIGRATIONS_RUN: 'false',
        DB_POOL_SIZE: '5',
        QUEUE_PREFIX: 'bridge-2:eu',
        N8N_BASE_URL: 'https://n8n.example.org/',
        N8N_DISABLED_EVENTS: 'lead_scraped, email_sent',
        WEBHOOK_SIGNATURE_TOLERANCE_SECONDS: '60',
        WEBHOOK_TIMEOUT_MS: '1500',
        WEBHOOK_RETRY_DELAYS_MS: '100, 200,300',
        WEBHOOK_CONCURRENCY: '3',
        WEBHOOK_TEST_ENDPOINT_ENABLED: 'yes',
        BODY_LIMIT: '512kb',
        OUTBOX_RELAY_INTERVAL_MS: '250',
      });
      expect(config).toMatchObject({
        env: 'test',
        port: 8080,
        role: 'worker',
        logLevel: 'debug',
        bodyLimit: '512kb',
        database: { migrationsRun: false, poolSize: 5 },
        redis: { queuePrefix: 'bridge-2:eu' },
        n8n: { baseUrl: 'https://n8n.example.org', disabledEvents: ['lead_scraped', 'email_sent'] },
        webhook: { toleranceSeconds: 60, timeoutMs: 1500, retryDelaysMs: [100, 200, 300], concurrency: 3, testEndpointEnabled: true },
        outbox: { relayIntervalMs: 250 },
      });
    });

    it('trims values and treats an empty one as unset', () => {
      const config = loadConfig({ PORT: ' 4000 ', LOG_LEVEL: ' warn\n', DB_MIGRATIONS_RUN: '', ADMIN_TOKEN: '', N8N_JWT_SECRET: '  ', WEBHOOK_CONCURRENCY: '' });
      expect(config.port).toBe(4000);
      expect(config.logLevel).toBe('warn');
      expect(config.database.migrationsRun).toBe(true);
      expect(config.admin.token).toBeUndefined();
      expect(config.n8n.jwtSecret).toBeUndefined();
      expect(config.webhook.concurrency).toBe(50);
    });

    it('reads per-event n8n URL overrides', () => {
      const config = loadConfig({ N8N_WEBHOOK_URL_LEAD_SCRAPED: 'https://hooks.example.org/webhook/leads', N8N_WEBHOOK_URL_WORKFLOW_ERROR: 'http://10.0.0.5:5678/webhook/err' });
      expect(config.n8n.webhookUrls).toEqual({
        lead_scraped: 'https://hooks.example.org/webhook/leads',
        workflow_error: 'http://10.0.0.5:5678/webhook/err',
      });
    });
  });

  describe('one bad variable at a time', () => {
    const cases: [name: string, value: string, expected: RegExp][] = [
      ['PORT', 'abc', /integer from 0 to 65535/],
      ['PORT', '70000', /integer from 0 to 65535/],
      ['PORT', '80.5', /integer/],
      ['APP_ROLE', 'x', /all, api, worker/],
      ['NODE_ENV', 'x', /development, production, test/],
      ['LOG_LEVEL', 'loud', /fatal, error, warn, info, debug, trace, silent/],
      ['DATABASE_URL', 'not-a-url', /postgres:\/\/ URL/],
      ['DB_POOL_SIZE', '0', /integer from 1 to 200/],
      ['DB_MIGRATIONS_RUN', 'maybe', /boolean/],
      ['REDIS_URL', 'http://x', /redis:\/\/ or rediss:\/\/ URL/],
      ['QUEUE_PREFIX', 'my prefix', /letters, digits/],
      ['N8N_BASE_URL', 'ftp://x', /http\(s\) URL/],
      ['N8N_DISABLED_EVENTS', 'unknown_event', /unknown event type\(s\) unknown_event; known: lead_scraped/],
      ['N8N_WEBHOOK_URL_LEAD_SCRAPED', 'notaurl', /http\(s\) URL/],
      ['N8N_WEBHOOK_URL_LEAD_SCRAPED', 'http://host with spaces/x', /http\(s\) URL/],
      ['N8N_WEBHOOK_URL_LEAD_SCRAPD', 'http://n8n:5678/webhook/x', /not a known event/],
      ['N8N_ALERT_WORKFLOW_ID', 'w'.repeat(201), /shorter than or equal to 200/],
      ['WEBHOOK_SIGNATURE_SCHEME', 'md5', /hmac-sha256, standard-webhooks/],
      ['WEBHOOK_SIGNATURE_TOLERANCE_SECONDS', '-1', /integer from 1 to 86400/],
      ['WEBHOOK_TIMEOUT_MS', 'abc', /integer from 100 to 600000/],
      ['WEBHOOK_RETRY_DELAYS_MS', '5s,10s', /comma-separated list of milliseconds/],
      ['WEBHOOK_RETRY_DELAYS_MS', '1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21', /at most 20 retries/],
      ['WEBHOOK_RETRY_DELAYS_MS', '1000,90000000', /at most 86400000 ms/],
      ['WEBHOOK_CONCURRENCY', '0', /integer from 1 to 1000/],
      ['WEBHOOK_TEST_ENDPOINT_ENABLED', 'maybe', /boolean/],
      ['BODY_LIMIT', 'huge', /size such as 1mb/],
      ['BODY_LIMIT', '0', /non-zero size/],
      ['OUTBOX_RELAY_INTERVAL_MS', '10', /integer from 100 to 3600000/],
    ];

    it.each(cases)('%s=%j is refused with one line naming the variable', (name, value, expected) => {
      const line = expectSingleProblem({ [name]: value }, name);
      expect(line).toMatch(expected);
    });

    it('shows the offending value of a non-secret variable', () => {
      expect(expectSingleProblem({ PORT: 'abc' }, 'PORT')).toContain('(got "abc")');
    });

    it('masks credentials in a URL value it echoes', () => {
      const line = expectSingleProblem({ N8N_BASE_URL: 'ftp://operator:hunter2pass@n8n.internal' }, 'N8N_BASE_URL', ['hunter2pass', 'operator']);
      expect(line).toContain('ftp://***@n8n.internal');
    });

    it.each([
      ['DATABASE_URL', 'mysql://app:s3cr3t-db-pass@db/app'],
      ['REDIS_URL', 'http://:s3cr3t-redis-pass@cache:6379'],
    ])('never echoes the value of the secret-bearing %s', (name, value) => {
      const line = expectSingleProblem({ [name]: value }, name, [value, 's3cr3t']);
      expect(line).not.toContain('got');
    });

    it('refuses a short N8N_JWT_SECRET without echoing it', () => {
      const secret = 'short-jwt-secret-value';
      expect(expectSingleProblem({ N8N_JWT_SECRET: secret }, 'N8N_JWT_SECRET', [secret])).toMatch(/at least 32 characters/);
    });

    it('reports every bad variable at once, one line each', () => {
      const problems = problemsOf({ PORT: 'abc', APP_ROLE: 'x', BODY_LIMIT: 'huge' });
      expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['APP_ROLE', 'BODY_LIMIT', 'PORT']);
    });
  });

  describe('webhook secrets', () => {
    it('parses a rotation list: trimmed, empty entries and duplicates dropped, the first one signs', () => {
      const config = loadConfig({ WEBHOOK_SECRET: ` ${STRONG_SECRET} ,, ${STRONG_SECRET_2},${STRONG_SECRET}` });
      expect(config.webhook.secrets).toEqual([STRONG_SECRET, STRONG_SECRET_2]);
      expect(config.webhook.usingDevelopmentSecret).toBe(false);
    });

    it('uses the development placeholder outside production when no secret is set', () => {
      const config = loadConfig({ NODE_ENV: 'test' });
      expect(config.webhook.secrets).toEqual([DEVELOPMENT_WEBHOOK_SECRET]);
      expect(config.webhook.usingDevelopmentSecret).toBe(true);
    });

    it('gives the standard-webhooks scheme a whsec_ development secret', () => {
      const config = loadConfig({ WEBHOOK_SIGNATURE_SCHEME: 'standard-webhooks' });
      expect(config.webhook.secrets[0]).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    });

    it('accepts whsec_ secrets for the standard-webhooks scheme', () => {
      const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
      expect(loadConfig({ WEBHOOK_SIGNATURE_SCHEME: 'standard-webhooks', WEBHOOK_SECRET: secret }).webhook.secrets).toEqual([secret]);
    });

    it('refuses a non-whsec_ secret for the standard-webhooks scheme without echoing it', () => {
      const line = expectSingleProblem({ WEBHOOK_SIGNATURE_SCHEME: 'standard-webhooks', WEBHOOK_SECRET: STRONG_SECRET }, 'WEBHOOK_SECRET', [STRONG_SECRET]);
      expect(line).toMatch(/whsec_<base64>/);
    });
  });

  describe('production refusals', () => {
    it('loads a complete production config', () => {
      const config = loadConfig(PRODUCTION);
      expect(config.env).toBe('production');
      expect(config.webhook.secrets).toEqual([STRONG_SECRET]);
      expect(config.webhook.usingDevelopmentSecret).toBe(false);
      expect(config.admin.token).toBe(ADMIN);
    });

    it('refuses a missing WEBHOOK_SECRET (no development fallback)', () => {
      expect(expectSingleProblem({ ...PRODUCTION, WEBHOOK_SECRET: undefined }, 'WEBHOOK_SECRET', [DEVELOPMENT_WEBHOOK_SECRET])).toMatch(/required in production/);
    });

    it('refuses an empty WEBHOOK_SECRET', () => {
      expect(expectSingleProblem({ ...PRODUCTION, WEBHOOK_SECRET: ' , ' }, 'WEBHOOK_SECRET')).toMatch(/required in production/);
    });

    it('refuses a WEBHOOK_SECRET shorter than 32 bytes, without echoing it', () => {
      const short = 'Vq9rT2xL8mN4pB7cK1dF6gH3jS0aW5e'; // 31 bytes, no placeholder words
      const line = expectSingleProblem({ ...PRODUCTION, WEBHOOK_SECRET: short }, 'WEBHOOK_SECRET', [short]);
      expect(line).toMatch(/too short for production \(31 bytes, at least 32 required\)/);
    });

    it.each(['please-change-me-0123456789abcdefghijkl', 'my-example-secret-value-0123456789abcdef', DEVELOPMENT_WEBHOOK_SECRET])(
      'refuses the placeholder WEBHOOK_SECRET %#, without echoing it',
      (placeholder) => {
        const line = expectSingleProblem({ ...PRODUCTION, WEBHOOK_SECRET: placeholder }, 'WEBHOOK_SECRET', [placeholder]);
        expect(line).toMatch(/placeholder/);
      },
    );

    it('checks every entry of a rotation list and says which one is wrong', () => {
      const line = expectSingleProblem({ ...PRODUCTION, WEBHOOK_SECRET: `${STRONG_SECRET},tooshort` }, 'WEBHOOK_SECRET', [STRONG_SECRET, 'tooshort']);
      expect(line).toMatch(/^WEBHOOK_SECRET \(entry 2\): too short/);
    });

    it('measures a standard-webhooks secret by its decoded bytes', () => {
      const short = `whsec_${Buffer.alloc(16, 9).toString('base64')}`;
      const env = { ...PRODUCTION, WEBHOOK_SIGNATURE_SCHEME: 'standard-webhooks', WEBHOOK_SECRET: short };
      expect(expectSingleProblem(env, 'WEBHOOK_SECRET', [short])).toMatch(/16 bytes/);
      expect(loadConfig({ ...env, WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 9).toString('base64')}` }).env).toBe('production');
    });

    it('refuses a missing ADMIN_TOKEN', () => {
      expect(expectSingleProblem({ ...PRODUCTION, ADMIN_TOKEN: undefined }, 'ADMIN_TOKEN')).toMatch(/required in production/);
    });

    it('refuses a short ADMIN_TOKEN without echoing it', () => {
      expectSingleProblem({ ...PRODUCTION, ADMIN_TOKEN: 'abc123' }, 'ADMIN_TOKEN', ['abc123']);
    });

    it('refuses ADMIN_USER without ADMIN_PASSWORD', () => {
      expectSingleProblem({ ...PRODUCTION, ADMIN_USER: 'ops' }, 'ADMIN_PASSWORD');
    });

    it('refuses the test endpoint', () => {
      expect(expectSingleProblem({ ...PRODUCTION, WEBHOOK_TEST_ENDPOINT_ENABLED: 'true' }, 'WEBHOOK_TEST_ENDPOINT_ENABLED')).toMatch(/must stay off in production/);
    });

    it('refuses a placeholder N8N_JWT_SECRET without echoing it', () => {
      const placeholder = 'replace-me-with-a-real-jwt-secret-0123456789';
      expectSingleProblem({ ...PRODUCTION, N8N_JWT_SECRET: placeholder }, 'N8N_JWT_SECRET', [placeholder]);
    });

    it('lists every production problem at once and no secret value', () => {
      const problems = problemsOf({ NODE_ENV: 'production', WEBHOOK_SECRET: 'changeme', WEBHOOK_TEST_ENDPOINT_ENABLED: 'on' });
      expect(problems.map((p) => p.split(':')[0])).toEqual(['WEBHOOK_SECRET', 'WEBHOOK_SECRET', 'ADMIN_TOKEN', 'WEBHOOK_TEST_ENDPOINT_ENABLED']);
      expect(problems.join('\n')).not.toContain('changeme');
    });
  });
});
