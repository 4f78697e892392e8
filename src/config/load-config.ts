import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, isURL, validateSync, ValidationError } from 'class-validator';
import { EVENT_TYPES, EventType, eventUrlVariable, isEventType } from '../events/event-catalog';
import { AppConfig, NodeEnv, RedisClusterConfig, SignatureScheme, AppRole } from './app-config';
import { ConfigValidationError } from './config.errors';
import { EnvironmentVariables, HTTP_URL_OPTIONS, SECRET_VARIABLES } from './env.schema';

/** Used only outside production when WEBHOOK_SECRET is unset; production refuses it. */
export const DEVELOPMENT_WEBHOOK_SECRET = 'development-only-webhook-secret-change-me';

const MIN_SECRET_BYTES = 32;
/** ADMIN_TOKEN and ADMIN_PASSWORD: what 16 characters of a password manager give (~95 bits). */
const MIN_CREDENTIAL_CHARS = 16;
const MIN_DISTINCT_SYMBOLS = 8;
const PLACEHOLDER = /change[-_ ]?me|replace[-_ ]?me|placeholder|example|^secret$|^password$|^x+$|development-only/i;
const STANDARD_WEBHOOKS_SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;
const MAX_RETRIES = 20;
const MAX_RETRY_DELAY_MS = 24 * 3600_000;
const EVENT_URL_PREFIX = 'N8N_WEBHOOK_URL_';

type Env = Record<string, string | undefined>;

/**
 * Reads, validates and types every setting. Throws `ConfigValidationError` listing
 * one line per problem (variable name and what is wrong, never a secret's value).
 */
export function loadConfig(env: Env): AppConfig {
  const raw = readRaw(env);
  const vars = plainToInstance(EnvironmentVariables, raw);
  const problems = validateSync(vars, { skipMissingProperties: false }).flatMap((e) => describe(e, raw));

  const retryDelaysMs = vars.WEBHOOK_RETRY_DELAYS_MS.split(',').map((d) => Number(d.trim()));
  if (retryDelaysMs.length > MAX_RETRIES) problems.push(`WEBHOOK_RETRY_DELAYS_MS: at most ${MAX_RETRIES} retries`);
  if (retryDelaysMs.some((d) => d > MAX_RETRY_DELAY_MS))
    problems.push(`WEBHOOK_RETRY_DELAYS_MS: each delay must be at most ${MAX_RETRY_DELAY_MS} ms (24 h)`);

  const webhookUrls = readEventUrls(env, problems);

  const disabledEvents = vars.N8N_DISABLED_EVENTS.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknownEvents = disabledEvents.filter((e) => !isEventType(e));
  if (unknownEvents.length)
    problems.push(`N8N_DISABLED_EVENTS: unknown event type(s) ${unknownEvents.join(', ')}; known: ${EVENT_TYPES.join(', ')}`);

  const clusterNodesValid = !problems.some((p) => p.startsWith('REDIS_CLUSTER_NODES'));
  const cluster = vars.REDIS_CLUSTER_NODES && clusterNodesValid ? parseClusterNodes(vars.REDIS_CLUSTER_NODES, problems) : undefined;
  if (cluster && env.REDIS_URL !== undefined && env.REDIS_URL !== '')
    problems.push('REDIS_URL: set either REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (Redis Cluster), not both');
  const workerPartitions = readWorkerPartitions(vars.WORKER_PARTITIONS, vars.QUEUE_PARTITIONS, problems);

  const nodeEnv = vars.NODE_ENV as NodeEnv;
  const scheme = vars.WEBHOOK_SIGNATURE_SCHEME as SignatureScheme;
  const secrets = [
    ...new Set(
      (vars.WEBHOOK_SECRET ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  const usingDevelopmentSecret = secrets.length === 0 && nodeEnv !== 'production';
  if (usingDevelopmentSecret)
    secrets.push(scheme === 'standard-webhooks' ? toStandardSecret(DEVELOPMENT_WEBHOOK_SECRET) : DEVELOPMENT_WEBHOOK_SECRET);

  if (scheme === 'standard-webhooks' && !usingDevelopmentSecret && secrets.some((s) => !STANDARD_WEBHOOKS_SECRET.test(s)))
    problems.push('WEBHOOK_SECRET: the standard-webhooks scheme needs secrets of the form whsec_<base64>');

  const encryptionKey = parseEncryptionKey(vars.SECRETS_ENCRYPTION_KEY);
  if (vars.SECRETS_ENCRYPTION_KEY !== undefined && !encryptionKey)
    problems.push(
      'SECRETS_ENCRYPTION_KEY: must be 32 bytes, as 64 hex characters or base64 (generate one with `npm run secret:generate -- --key`)',
    );
  const usingDevelopmentKey = vars.SECRETS_ENCRYPTION_KEY === undefined && nodeEnv !== 'production';

  if (nodeEnv === 'production') problems.push(...productionProblems(secrets, scheme, vars));

  if (problems.length) throw new ConfigValidationError(problems);

  return {
    env: nodeEnv,
    port: vars.PORT,
    role: vars.APP_ROLE as AppRole,
    logLevel: vars.LOG_LEVEL,
    bodyLimit: vars.BODY_LIMIT,
    database: { url: vars.DATABASE_URL, migrationsRun: vars.DB_MIGRATIONS_RUN, poolSize: vars.DB_POOL_SIZE },
    redis: { url: vars.REDIS_URL, cluster, queuePrefix: vars.QUEUE_PREFIX },
    queue: { partitions: vars.QUEUE_PARTITIONS, workerPartitions },
    n8n: {
      baseUrl: vars.N8N_BASE_URL.replace(/\/+$/, ''),
      webhookUrls,
      disabledEvents: disabledEvents as EventType[],
      alertWorkflowId: vars.N8N_ALERT_WORKFLOW_ID,
      jwtSecret: vars.N8N_JWT_SECRET,
    },
    webhook: {
      secrets,
      usingDevelopmentSecret,
      scheme,
      toleranceSeconds: vars.WEBHOOK_SIGNATURE_TOLERANCE_SECONDS,
      timeoutMs: vars.WEBHOOK_TIMEOUT_MS,
      retryDelaysMs,
      concurrency: vars.WEBHOOK_CONCURRENCY,
      workerLockMs: vars.WORKER_LOCK_MS,
      testEndpointEnabled: vars.WEBHOOK_TEST_ENDPOINT_ENABLED,
    },
    outbox: { relayIntervalMs: vars.OUTBOX_RELAY_INTERVAL_MS },
    http: {
      callbackBodyLimit: vars.CALLBACK_BODY_LIMIT,
      maxConcurrentBodies: vars.HTTP_MAX_CONCURRENT_BODIES,
      bodyTimeoutMs: vars.HTTP_BODY_TIMEOUT_MS,
      headersTimeoutMs: vars.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: vars.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: vars.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      trustProxy: parseTrustProxy(vars.TRUST_PROXY),
      apiDocsEnabled: vars.API_DOCS_ENABLED ?? nodeEnv !== 'production',
    },
    admin: {
      token: vars.ADMIN_TOKEN,
      user: vars.ADMIN_USER,
      password: vars.ADMIN_PASSWORD,
      authFailuresPerMinute: vars.ADMIN_AUTH_FAILURES_PER_MINUTE,
      bullBoardReadOnly: vars.BULL_BOARD_READ_ONLY,
    },
    console: {
      sessionTtlMs: vars.CONSOLE_SESSION_TTL_MINUTES * 60_000,
      signInFailuresPerMinute: vars.CONSOLE_SIGN_IN_FAILURES_PER_MINUTE,
    },
    operations: {
      replayMaxEvents: vars.REPLAY_MAX_EVENTS,
      retentionDays: vars.RETENTION_DAYS,
      retentionIncludeFailed: vars.RETENTION_INCLUDE_FAILED,
    },
    circuit: { failureThreshold: vars.CIRCUIT_FAILURE_THRESHOLD, cooldownMs: vars.CIRCUIT_COOLDOWN_MS },
    rateLimits: { outgoingPerSecond: vars.WEBHOOK_RATE_LIMIT_PER_SECOND, incomingPerMinute: vars.INCOMING_RATE_LIMIT_PER_MINUTE },
    alerts: { webhookUrl: vars.ALERT_WEBHOOK_URL, dedupWindowMs: vars.ALERT_DEDUP_WINDOW_MS },
    metrics: { workerPort: vars.WORKER_METRICS_PORT },
    subscriptions: {
      encryptionKey: encryptionKey ?? DEVELOPMENT_ENCRYPTION_KEY,
      usingDevelopmentKey,
      rotationGraceMs: vars.SECRET_ROTATION_GRACE_HOURS * 3600_000,
      disableAfterMs: vars.SUBSCRIPTION_DISABLE_AFTER_HOURS * 3600_000,
    },
  };
}

/** Used only outside production when SECRETS_ENCRYPTION_KEY is unset; production refuses to start without a key. */
const DEVELOPMENT_ENCRYPTION_KEY = Buffer.alloc(32, 0x5e);

/** 32 bytes from 64 hex characters or base64 (standard or url-safe); undefined when unset or not 32 bytes. */
function parseEncryptionKey(value: string | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === 32 ? bytes : undefined;
}

function productionProblems(secrets: string[], scheme: SignatureScheme, vars: EnvironmentVariables): string[] {
  const problems: string[] = [];
  if (secrets.length === 0) problems.push('WEBHOOK_SECRET: required in production (generate one with `npm run secret:generate`)');
  secrets.forEach((secret, i) => {
    const label = secrets.length > 1 ? `WEBHOOK_SECRET (entry ${i + 1})` : 'WEBHOOK_SECRET';
    // A whsec_ secret is used as its decoded bytes, so that is what is measured and judged.
    const material = scheme === 'standard-webhooks' ? Buffer.from(secret.replace(/^whsec_/, ''), 'base64') : Buffer.from(secret, 'utf8');
    const short = material.length < MIN_SECRET_BYTES;
    const placeholder = PLACEHOLDER.test(secret);
    if (short) problems.push(`${label}: too short for production (${material.length} bytes, at least ${MIN_SECRET_BYTES} required)`);
    if (placeholder) problems.push(`${label}: looks like a placeholder; production needs a generated secret`);
    const weakness = short || placeholder ? undefined : lowEntropy(scheme === 'standard-webhooks' ? [...material] : Array.from(secret));
    if (weakness) problems.push(`${label}: ${weakness}; production needs a generated secret (\`npm run secret:generate\`)`);
  });
  if (!vars.ADMIN_TOKEN) problems.push('ADMIN_TOKEN: required in production (the internal REST API would be unusable)');
  else problems.push(...credentialProblems('ADMIN_TOKEN', vars.ADMIN_TOKEN, 'at least 16 random characters'));
  if (vars.ADMIN_USER && !vars.ADMIN_PASSWORD) problems.push('ADMIN_PASSWORD: required when ADMIN_USER is set');
  // Checked whenever set, not only with ADMIN_USER: a weak password left in the environment is one variable away from guarding Bull Board.
  if (vars.ADMIN_PASSWORD) problems.push(...credentialProblems('ADMIN_PASSWORD', vars.ADMIN_PASSWORD, 'at least 16 random characters'));
  if (vars.N8N_JWT_SECRET) {
    if (PLACEHOLDER.test(vars.N8N_JWT_SECRET))
      problems.push('N8N_JWT_SECRET: looks like a placeholder; production needs a generated secret');
    else {
      const weakness = lowEntropy(Array.from(vars.N8N_JWT_SECRET));
      if (weakness) problems.push(`N8N_JWT_SECRET: ${weakness}; production needs a generated secret`);
    }
  }
  if (vars.WEBHOOK_TEST_ENDPOINT_ENABLED) problems.push('WEBHOOK_TEST_ENDPOINT_ENABLED: the test endpoint must stay off in production');
  if (vars.SECRETS_ENCRYPTION_KEY === undefined)
    problems.push('SECRETS_ENCRYPTION_KEY: required in production (it encrypts subscription secrets; `npm run secret:generate -- --key`)');
  return problems;
}

/** ADMIN_TOKEN and ADMIN_PASSWORD: long enough, not a placeholder, not low-entropy; one line at most, never the value. */
function credentialProblems(name: string, value: string, need: string): string[] {
  if (value.length < MIN_CREDENTIAL_CHARS || PLACEHOLDER.test(value))
    return [`${name}: too short or a placeholder; production needs ${need}`];
  const weakness = lowEntropy(Array.from(value));
  return weakness ? [`${name}: ${weakness}; production needs ${need}`] : [];
}

/**
 * Why a secret that is long enough is still guessable, or undefined: fewer than 8 distinct
 * symbols (characters, or bytes for a decoded whsec_ secret: `aaaa…`, `abab…`, `0000…`), or one
 * short block repeated (`abcdefgh` × 4). Generated secrets are nowhere near this: 64 random hex
 * characters show ~16 distinct symbols, 32 random bytes ~30, 24 base64url characters ~20 (the
 * chance that any of them has fewer than 8 is below 1e-14). It cannot prove a secret random;
 * it refuses the ones that obviously are not.
 */
function lowEntropy(symbols: (string | number)[]): string | undefined {
  const distinct = new Set(symbols).size;
  if (distinct < MIN_DISTINCT_SYMBOLS)
    return `too little variety (${distinct} distinct ${typeof symbols[0] === 'number' ? 'bytes' : 'characters'}, at least ${MIN_DISTINCT_SYMBOLS} required)`;
  if (isRepeatedBlock(symbols)) return 'a short sequence repeated';
  return undefined;
}

/** True when the whole value is one block of at most half its length, repeated. */
function isRepeatedBlock(symbols: (string | number)[]): boolean {
  const n = symbols.length;
  for (let period = 1; period <= n / 2; period++) {
    if (n % period !== 0) continue;
    if (symbols.every((symbol, i) => symbol === symbols[i % period])) return true;
  }
  return false;
}

/** Every declared variable, trimmed; an empty value counts as unset (so `PORT=` in a compose file means the default). */
function readRaw(env: Env): Record<string, string> {
  const names = new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(EnvironmentVariables, '', true, false)
      .map((m) => m.propertyName),
  );
  const raw: Record<string, string> = {};
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) raw[name] = value;
  }
  return raw;
}

/** `N8N_WEBHOOK_URL_<EVENT>` overrides; a name that matches no event is refused (a typo would silently use the default URL). */
function readEventUrls(env: Env, problems: string[]): Partial<Record<EventType, string>> {
  const known = new Map(EVENT_TYPES.map((type) => [eventUrlVariable(type), type]));
  const urls: Partial<Record<EventType, string>> = {};
  for (const name of Object.keys(env)
    .filter((n) => n.startsWith(EVENT_URL_PREFIX))
    .sort()) {
    const value = env[name]?.trim();
    const type = known.get(name);
    if (!value) continue;
    if (!type) problems.push(`${name}: not a known event; use ${EVENT_URL_PREFIX}<EVENT> with one of ${EVENT_TYPES.join(', ')}`);
    else if (!isURL(value, HTTP_URL_OPTIONS)) problems.push(`${name}: must be an http(s) URL`);
    else urls[type] = value;
  }
  return urls;
}

/** `TRUST_PROXY`: false/true, a hop count, or a comma-separated list of addresses, subnets or express presets (loopback, uniquelocal…). */
function parseTrustProxy(value: string): boolean | number | string {
  const v = value.trim().toLowerCase();
  if (['false', '0', 'no', 'off', ''].includes(v)) return false;
  if (['true', 'yes', 'on'].includes(v)) return true;
  if (/^\d+$/.test(v)) return Number(v);
  return value.trim();
}

function toStandardSecret(secret: string): string {
  return `whsec_${Buffer.from(secret, 'utf8').toString('base64')}`;
}

function describe(error: ValidationError, raw: Record<string, string>): string[] {
  const name = error.property;
  const shown = SECRET_VARIABLES.has(name) || raw[name] === undefined ? '' : ` (got "${truncate(withoutCredentials(raw[name]))}")`;
  const messages = Object.values(error.constraints ?? {}).map((m) => m.replace(new RegExp(`^${name}\\s+`), ''));
  return messages.length ? [`${name}: ${messages.join('; ')}${shown}`] : [];
}

/** `http://user:pass@host` → `http://***@host`: a URL's credentials never reach an error line. */
function withoutCredentials(value: string): string {
  return value.replace(/\/\/[^/@\s]*@/, '//***@');
}

function truncate(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}

/** The one place the process environment is read. */
export function loadConfigFromEnvironment(): AppConfig {
  return loadConfig(process.env);
}

/**
 * REDIS_CLUSTER_NODES: `host:port` entries, or `redis://[user:password@]host:port` URLs whose
 * credentials (and `rediss:` for TLS) apply to every node. Problems never echo a password.
 */
function parseClusterNodes(value: string, problems: string[]): RedisClusterConfig | undefined {
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const cluster: RedisClusterConfig = { nodes: [], tls: false };
  for (const entry of entries) {
    let url: URL;
    try {
      url = new URL(/^rediss?:\/\//.test(entry) ? entry : `redis://${entry}`);
    } catch {
      problems.push('REDIS_CLUSTER_NODES: every entry must be host:port or a redis:// URL');
      return undefined;
    }
    const port = Number(url.port || 6379);
    if (!url.hostname || port < 1 || port > 65535) {
      problems.push('REDIS_CLUSTER_NODES: every entry needs a host and a port between 1 and 65535');
      return undefined;
    }
    cluster.nodes.push({ host: url.hostname.replace(/^\[|\]$/g, ''), port });
    if (url.protocol === 'rediss:') cluster.tls = true;
    if (url.password) cluster.password ??= decodeURIComponent(url.password);
    if (url.username) cluster.username ??= decodeURIComponent(url.username);
  }
  return cluster;
}

/** WORKER_PARTITIONS: each entry must name one of the QUEUE_PARTITIONS partitions; unset = all of them. */
function readWorkerPartitions(value: string | undefined, partitions: number, problems: string[]): number[] {
  const all = Array.from({ length: partitions }, (_, i) => i);
  if (value === undefined || value.trim() === '') return all;
  const listed = [...new Set(value.split(',').map((s) => Number(s.trim())))].sort((a, b) => a - b);
  const outside = listed.filter((p) => p >= partitions);
  if (outside.length)
    problems.push(
      `WORKER_PARTITIONS: partition(s) ${outside.join(', ')} do not exist; QUEUE_PARTITIONS=${partitions} gives 0 to ${partitions - 1}`,
    );
  return listed.filter((p) => p < partitions);
}
