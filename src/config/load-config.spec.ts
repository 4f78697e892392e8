import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigValidationError } from './config.errors';
import { DEVELOPMENT_WEBHOOK_SECRET, loadConfig } from './load-config';

type Env = Record<string, string | undefined>;

const STRONG_SECRET = 'k7Qz1pX9vR4mT2wY8nB6cD3fG5hJ0lA1sE7uI9oP';
const STRONG_SECRET_2 = 'Zr8Lq3Vn6Xc1Bm4Wt7Ys0Hd2Jf5Kg9Pa3Ue6Io8R';
const ADMIN = 'adm1n-t0ken-9f8e7d6c5b4a3f2e1d0c';

/** A production environment that loads; each production test breaks one thing in it. */
const ENCRYPTION_KEY = '5f0c2a9e81d34b7aa6c1e0f94d27b35c8e61f0a2d9c47b13e85a6f2c0d9b14e7';
const PRODUCTION: Env = {
  NODE_ENV: 'production',
  WEBHOOK_SECRET: STRONG_SECRET,
  ADMIN_TOKEN: ADMIN,
  SECRETS_ENCRYPTION_KEY: ENCRYPTION_KEY,
};

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
  expect(problems[0]!.startsWith(`${name}:`) || problems[0]!.startsWith(`${name} (`)).toBe(true);
  for (const secret of secrets) expect(problems[0]).not.toContain(secret);
  return problems[0]!;
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
        redis: { url: 'redis://127.0.0.1:6379', cluster: undefined, queuePrefix: 'bridge' },
        queue: { partitions: 1, workerPartitions: [0] },
        n8n: { baseUrl: 'http://127.0.0.1:5678', webhookUrls: {}, disabledEvents: [], alertWorkflowId: undefined, jwtSecret: undefined },
        webhook: {
          secrets: [DEVELOPMENT_WEBHOOK_SECRET],
          usingDevelopmentSecret: true,
          scheme: 'hmac-sha256',
          toleranceSeconds: 300,
          timeoutMs: 30000,
          retryDelaysMs: [5000, 30000, 300000],
          concurrency: 50,
          workerLockMs: 30000,
          testEndpointEnabled: false,
        },
        outbox: { relayIntervalMs: 5000 },
        http: {
          callbackBodyLimit: '128kb',
          maxConcurrentBodies: 32,
          bodyTimeoutMs: 10000,
          headersTimeoutMs: 10000,
          requestTimeoutMs: 30000,
          keepAliveTimeoutMs: 5000,
          trustProxy: false,
          apiDocsEnabled: true,
        },
        admin: { token: undefined, user: undefined, password: undefined, authFailuresPerMinute: 10, bullBoardReadOnly: true },
        console: { sessionTtlMs: 480 * 60_000, signInFailuresPerMinute: 5 },
        operations: { replayMaxEvents: 1000, retentionDays: 30, retentionIncludeFailed: false },
        circuit: { failureThreshold: 10, cooldownMs: 60000 },
        rateLimits: { outgoingPerSecond: 0, incomingPerMinute: 600 },
        alerts: { webhookUrl: undefined, dedupWindowMs: 900000 },
        metrics: { workerPort: 0 },
        subscriptions: {
          encryptionKey: Buffer.alloc(32, 0x5e),
          usingDevelopmentKey: true,
          rotationGraceMs: 24 * 3600_000,
          disableAfterMs: 120 * 3600_000,
        },
      });
    });

    it('reads the console settings: session lifetime in minutes, sign-in failures per minute', () => {
      const config = loadConfig({ CONSOLE_SESSION_TTL_MINUTES: '30', CONSOLE_SIGN_IN_FAILURES_PER_MINUTE: '0' });
      expect(config.console).toEqual({ sessionTtlMs: 1_800_000, signInFailuresPerMinute: 0 });
      const problems = problemsOf({ CONSOLE_SESSION_TTL_MINUTES: '1' });
      expect(problems).toEqual([expect.stringMatching(/^CONSOLE_SESSION_TTL_MINUTES: must be an integer from 5 to 10080/)]);
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
      const config = loadConfig({
        PORT: ' 4000 ',
        LOG_LEVEL: ' warn\n',
        DB_MIGRATIONS_RUN: '',
        ADMIN_TOKEN: '',
        N8N_JWT_SECRET: '  ',
        WEBHOOK_CONCURRENCY: '',
      });
      expect(config.port).toBe(4000);
      expect(config.logLevel).toBe('warn');
      expect(config.database.migrationsRun).toBe(true);
      expect(config.admin.token).toBeUndefined();
      expect(config.n8n.jwtSecret).toBeUndefined();
      expect(config.webhook.concurrency).toBe(50);
    });

    it('reads per-event n8n URL overrides', () => {
      const config = loadConfig({
        N8N_WEBHOOK_URL_LEAD_SCRAPED: 'https://hooks.example.org/webhook/leads',
        N8N_WEBHOOK_URL_WORKFLOW_ERROR: 'http://10.0.0.5:5678/webhook/err',
      });
      expect(config.n8n.webhookUrls).toEqual({
        lead_scraped: 'https://hooks.example.org/webhook/leads',
        workflow_error: 'http://10.0.0.5:5678/webhook/err',
      });
    });
  });

  describe('Redis Cluster and queue partitions', () => {
    it('reads the cluster nodes, with the credentials and TLS of a URL entry applied to every node', () => {
      const config = loadConfig({ REDIS_CLUSTER_NODES: 'rediss://app:s3cret@10.0.0.1:7000, 10.0.0.2:7001,redis-c:7002' });
      expect(config.redis.cluster).toEqual({
        nodes: [
          { host: '10.0.0.1', port: 7000 },
          { host: '10.0.0.2', port: 7001 },
          { host: 'redis-c', port: 7002 },
        ],
        username: 'app',
        password: 's3cret',
        tls: true,
      });
    });

    it('refuses REDIS_URL and REDIS_CLUSTER_NODES together, without echoing either', () => {
      const problems = problemsOf({ REDIS_URL: 'redis://:hunter2@10.0.0.9:6379', REDIS_CLUSTER_NODES: '10.0.0.1:7000' });
      expect(problems).toEqual(['REDIS_URL: set either REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (Redis Cluster), not both']);
    });

    it('consumes every partition by default, or the ones listed, and refuses a partition that does not exist', () => {
      expect(loadConfig({ QUEUE_PARTITIONS: '4' }).queue).toEqual({ partitions: 4, workerPartitions: [0, 1, 2, 3] });
      expect(loadConfig({ QUEUE_PARTITIONS: '6', WORKER_PARTITIONS: '4, 0,4' }).queue).toEqual({ partitions: 6, workerPartitions: [0, 4] });
      expect(problemsOf({ QUEUE_PARTITIONS: '3', WORKER_PARTITIONS: '1,5' })).toEqual([
        'WORKER_PARTITIONS: partition(s) 5 do not exist; QUEUE_PARTITIONS=3 gives 0 to 2',
      ]);
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
      ['REDIS_CLUSTER_NODES', 'a b', /host:port/],
      ['QUEUE_PARTITIONS', '0', /integer from 1 to 64/],
      ['QUEUE_PARTITIONS', '65', /integer from 1 to 64/],
      ['WORKER_PARTITIONS', 'all', /partition numbers/],
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
      const line = expectSingleProblem({ N8N_BASE_URL: 'ftp://operator:hunter2pass@n8n.internal' }, 'N8N_BASE_URL', [
        'hunter2pass',
        'operator',
      ]);
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
      const line = expectSingleProblem({ WEBHOOK_SIGNATURE_SCHEME: 'standard-webhooks', WEBHOOK_SECRET: STRONG_SECRET }, 'WEBHOOK_SECRET', [
        STRONG_SECRET,
      ]);
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
      expect(expectSingleProblem({ ...PRODUCTION, WEBHOOK_SECRET: undefined }, 'WEBHOOK_SECRET', [DEVELOPMENT_WEBHOOK_SECRET])).toMatch(
        /required in production/,
      );
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
      const line = expectSingleProblem({ ...PRODUCTION, WEBHOOK_SECRET: `${STRONG_SECRET},tooshort` }, 'WEBHOOK_SECRET', [
        STRONG_SECRET,
        'tooshort',
      ]);
      expect(line).toMatch(/^WEBHOOK_SECRET \(entry 2\): too short/);
    });

    it('measures a standard-webhooks secret by its decoded bytes', () => {
      const short = `whsec_${randomBytes(16).toString('base64')}`;
      const env = { ...PRODUCTION, WEBHOOK_SIGNATURE_SCHEME: 'standard-webhooks', WEBHOOK_SECRET: short };
      expect(expectSingleProblem(env, 'WEBHOOK_SECRET', [short])).toMatch(/16 bytes/);
      expect(loadConfig({ ...env, WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}` }).env).toBe('production');
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
      expect(expectSingleProblem({ ...PRODUCTION, WEBHOOK_TEST_ENDPOINT_ENABLED: 'true' }, 'WEBHOOK_TEST_ENDPOINT_ENABLED')).toMatch(
        /must stay off in production/,
      );
    });

    it('refuses a placeholder N8N_JWT_SECRET without echoing it', () => {
      const placeholder = 'replace-me-with-a-real-jwt-secret-0123456789';
      expectSingleProblem({ ...PRODUCTION, N8N_JWT_SECRET: placeholder }, 'N8N_JWT_SECRET', [placeholder]);
    });

    it('lists every production problem at once and no secret value', () => {
      const problems = problemsOf({ NODE_ENV: 'production', WEBHOOK_SECRET: 'changeme', WEBHOOK_TEST_ENDPOINT_ENABLED: 'on' });
      expect(problems.map((p) => p.split(':')[0])).toEqual([
        'WEBHOOK_SECRET',
        'WEBHOOK_SECRET',
        'ADMIN_TOKEN',
        'WEBHOOK_TEST_ENDPOINT_ENABLED',
        'SECRETS_ENCRYPTION_KEY',
      ]);
      expect(problems.join('\n')).not.toContain('changeme');
    });
  });

  describe('production: weak admin credentials and low-entropy secrets', () => {
    const PASSWORD = 'Tq8#vW2m!Rz5pL0x'; // 16 characters, 16 distinct
    const JWT = 'f3K9qP2vX7mR1tB8nC4dG6hJ0lS5wE2y';

    it('loads with ADMIN_USER, a strong ADMIN_PASSWORD and a strong N8N_JWT_SECRET', () => {
      const config = loadConfig({ ...PRODUCTION, ADMIN_USER: 'admin', ADMIN_PASSWORD: PASSWORD, N8N_JWT_SECRET: JWT });
      expect(config.admin).toMatchObject({ user: 'admin', password: PASSWORD });
      expect(config.n8n.jwtSecret).toBe(JWT);
    });

    it.each([
      ['the .env.example placeholder', 'change-me-admin-password'],
      ['a placeholder word', 'this-is-an-example-password-42'],
      ['a 15-character password', 'Tq8#vW2m!Rz5pL0'],
      ['an 8-character password', 'Xk3#pL9q'],
    ])('refuses %s as ADMIN_PASSWORD, without echoing it', (_label, password) => {
      const line = expectSingleProblem({ ...PRODUCTION, ADMIN_USER: 'admin', ADMIN_PASSWORD: password }, 'ADMIN_PASSWORD', [password]);
      expect(line).toMatch(/too short or a placeholder; production needs at least 16 random characters/);
    });

    it('checks ADMIN_PASSWORD even without ADMIN_USER (one variable away from guarding Bull Board)', () => {
      expectSingleProblem({ ...PRODUCTION, ADMIN_PASSWORD: 'change-me-admin-password' }, 'ADMIN_PASSWORD', ['change-me-admin-password']);
    });

    it.each([
      ['16 x "a"', 'a'.repeat(16), /too little variety \(1 distinct characters, at least 8 required\)/],
      ['two characters alternating', 'ab'.repeat(12), /too little variety \(2 distinct/],
      ['one block repeated', 'Qw3!Zx9#'.repeat(3), /a short sequence repeated/],
    ])('refuses a low-entropy ADMIN_PASSWORD: %s', (_label, password, expected) => {
      expect(expectSingleProblem({ ...PRODUCTION, ADMIN_USER: 'admin', ADMIN_PASSWORD: password }, 'ADMIN_PASSWORD', [password])).toMatch(
        expected,
      );
    });

    it('refuses 16 x "a" as ADMIN_TOKEN (long enough, but one character)', () => {
      const token = 'a'.repeat(16);
      expect(expectSingleProblem({ ...PRODUCTION, ADMIN_TOKEN: token }, 'ADMIN_TOKEN', [token])).toMatch(
        /too little variety \(1 distinct characters/,
      );
    });

    it('refuses an ADMIN_TOKEN made of a repeated block', () => {
      const token = '9f8e7d6c'.repeat(4);
      expect(expectSingleProblem({ ...PRODUCTION, ADMIN_TOKEN: token }, 'ADMIN_TOKEN', [token])).toMatch(/a short sequence repeated/);
    });

    it.each([
      ['32 x "a"', 'a'.repeat(32), /too little variety \(1 distinct characters/],
      ['64 x "0"', '0'.repeat(64), /too little variety \(1 distinct characters/],
      ['seven characters in turn', 'abcdefg'.repeat(5), /too little variety \(7 distinct characters/],
      ['one 8-character block repeated', 'k7Qz1pX9'.repeat(5), /a short sequence repeated/],
    ])('refuses a low-entropy WEBHOOK_SECRET: %s, without echoing it', (_label, secret, expected) => {
      expect(expectSingleProblem({ ...PRODUCTION, WEBHOOK_SECRET: secret }, 'WEBHOOK_SECRET', [secret])).toMatch(expected);
    });

    it('names the weak entry of a rotation list', () => {
      const weak = 'a'.repeat(40);
      expect(expectSingleProblem({ ...PRODUCTION, WEBHOOK_SECRET: `${STRONG_SECRET},${weak}` }, 'WEBHOOK_SECRET', [weak])).toMatch(
        /^WEBHOOK_SECRET \(entry 2\): too little variety/,
      );
    });

    it('judges a whsec_ secret on its decoded bytes, not on its base64 text', () => {
      const env = { ...PRODUCTION, WEBHOOK_SIGNATURE_SCHEME: 'standard-webhooks' };
      // 32 bytes cycling through 0..3: its base64 text shows 9 distinct characters, the bytes only 4.
      const cycling = `whsec_${Buffer.from(Array.from({ length: 32 }, (_, i) => i % 4)).toString('base64')}`;
      expect(new Set(cycling.slice(6)).size).toBeGreaterThanOrEqual(8);
      expect(expectSingleProblem({ ...env, WEBHOOK_SECRET: cycling }, 'WEBHOOK_SECRET', [cycling])).toMatch(
        /too little variety \(4 distinct bytes/,
      );
      const constant = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
      expect(expectSingleProblem({ ...env, WEBHOOK_SECRET: constant }, 'WEBHOOK_SECRET', [constant])).toMatch(/1 distinct bytes/);
    });

    it.each([
      ['two characters alternating', 'xy'.repeat(20), /too little variety/],
      ['one block repeated', 'f3K9qP2v'.repeat(5), /a short sequence repeated/],
    ])('refuses a low-entropy N8N_JWT_SECRET: %s, without echoing it', (_label, secret, expected) => {
      expect(expectSingleProblem({ ...PRODUCTION, N8N_JWT_SECRET: secret }, 'N8N_JWT_SECRET', [secret])).toMatch(expected);
    });

    it('leaves development alone: weak values load outside production', () => {
      expect(
        loadConfig({
          WEBHOOK_SECRET: 'a'.repeat(32),
          ADMIN_TOKEN: 'a'.repeat(16),
          ADMIN_USER: 'admin',
          ADMIN_PASSWORD: 'change-me-admin-password',
        }).env,
      ).toBe('development');
    });

    describe('generated secrets pass', () => {
      const script = join(__dirname, '../../scripts/generate-secret.mjs');
      const run = (...args: string[]) => execFileSync(process.execPath, [script, ...args], { encoding: 'utf8' }).trim();
      /** What scripts/start-local.sh writes into .env next to the webhook secret. */
      const startLocalAdminToken = () => randomBytes(24).toString('hex');
      const startLocalAdminPassword = () => randomBytes(18).toString('base64url');

      it('npm run secret:generate, both schemes, with start-local.sh admin credentials', () => {
        for (const [scheme, secret] of [
          ['hmac-sha256', run()],
          ['standard-webhooks', run('--standard')],
        ]) {
          const env = {
            NODE_ENV: 'production',
            WEBHOOK_SIGNATURE_SCHEME: scheme,
            WEBHOOK_SECRET: secret,
            ADMIN_TOKEN: startLocalAdminToken(),
            ADMIN_USER: 'admin',
            ADMIN_PASSWORD: startLocalAdminPassword(),
            SECRETS_ENCRYPTION_KEY: run('--key'),
          };
          expect(loadConfig(env).webhook.secrets).toEqual([secret]);
        }
      });

      it('the same formats, 500 draws each (the rule leaves no room for an unlucky draw)', () => {
        for (let i = 0; i < 500; i++) {
          const hex = randomBytes(32).toString('hex');
          const standard = `whsec_${randomBytes(32).toString('base64')}`;
          expect(() =>
            loadConfig({
              ...PRODUCTION,
              WEBHOOK_SECRET: hex,
              ADMIN_TOKEN: startLocalAdminToken(),
              ADMIN_USER: 'admin',
              ADMIN_PASSWORD: startLocalAdminPassword(),
              N8N_JWT_SECRET: hex,
            }),
          ).not.toThrow();
          expect(() =>
            loadConfig({ ...PRODUCTION, WEBHOOK_SIGNATURE_SCHEME: 'standard-webhooks', WEBHOOK_SECRET: standard }),
          ).not.toThrow();
        }
      });
    });
  });
  describe('subscriptions', () => {
    it('reads SECRETS_ENCRYPTION_KEY as 64 hex characters or base64 of 32 bytes, and the subscription durations', () => {
      const key = randomBytes(32);
      const hex = loadConfig({
        SECRETS_ENCRYPTION_KEY: key.toString('hex'),
        SECRET_ROTATION_GRACE_HOURS: '2',
        SUBSCRIPTION_DISABLE_AFTER_HOURS: '0',
      });
      expect(hex.subscriptions).toEqual({ encryptionKey: key, usingDevelopmentKey: false, rotationGraceMs: 7_200_000, disableAfterMs: 0 });
      expect(loadConfig({ SECRETS_ENCRYPTION_KEY: key.toString('base64') }).subscriptions.encryptionKey).toEqual(key);
      expect(loadConfig({ SECRETS_ENCRYPTION_KEY: key.toString('base64url') }).subscriptions.encryptionKey).toEqual(key);
    });

    it('refuses a key that is not 32 bytes without echoing it', () => {
      for (const bad of ['abc', 'ab'.repeat(31), randomBytes(16).toString('base64'), 'z'.repeat(64)]) {
        const line = expectSingleProblem({ SECRETS_ENCRYPTION_KEY: bad }, 'SECRETS_ENCRYPTION_KEY', [bad]);
        expect(line).toMatch(/must be 32 bytes/);
      }
    });

    it('production refuses to start without a key', () => {
      expect(expectSingleProblem({ ...PRODUCTION, SECRETS_ENCRYPTION_KEY: undefined }, 'SECRETS_ENCRYPTION_KEY')).toMatch(
        /required in production/,
      );
      expect(loadConfig(PRODUCTION).subscriptions.usingDevelopmentKey).toBe(false);
    });
  });

  describe('http limits (hardening)', () => {
    const production = (env: Env = {}) =>
      loadConfig({
        NODE_ENV: 'production',
        WEBHOOK_SECRET: randomBytes(32).toString('hex'),
        ADMIN_TOKEN: randomBytes(24).toString('hex'),
        SECRETS_ENCRYPTION_KEY: ENCRYPTION_KEY,
        ...env,
      });

    it('serves the API docs by default outside production only; API_DOCS_ENABLED decides when set', () => {
      expect(loadConfig({}).http.apiDocsEnabled).toBe(true);
      expect(loadConfig({ NODE_ENV: 'test' }).http.apiDocsEnabled).toBe(true);
      expect(production().http.apiDocsEnabled).toBe(false);
      expect(production({ API_DOCS_ENABLED: 'true' }).http.apiDocsEnabled).toBe(true);
      expect(loadConfig({ API_DOCS_ENABLED: 'false' }).http.apiDocsEnabled).toBe(false);
    });

    it('keeps the same body and timeout limits in production', () => {
      expect(production().http).toEqual({
        callbackBodyLimit: '128kb',
        maxConcurrentBodies: 32,
        bodyTimeoutMs: 10000,
        headersTimeoutMs: 10000,
        requestTimeoutMs: 30000,
        keepAliveTimeoutMs: 5000,
        trustProxy: false,
        apiDocsEnabled: false,
      });
    });

    it.each([
      [undefined, false],
      ['false', false],
      ['true', true],
      ['1', 1],
      ['loopback', 'loopback'],
      ['10.0.0.0/8, loopback', '10.0.0.0/8, loopback'],
    ])('TRUST_PROXY=%s → %p', (value, expected) => {
      expect(loadConfig({ TRUST_PROXY: value }).http.trustProxy).toEqual(expected);
    });
  });
});
