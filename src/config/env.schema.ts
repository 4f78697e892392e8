import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, IsUrl, Matches, MaxLength, MinLength, ValidateBy } from 'class-validator';

/** URL rules shared by `N8N_BASE_URL` and the per-event `N8N_WEBHOOK_URL_<EVENT>` overrides. */
export const HTTP_URL_OPTIONS = { require_tld: false, protocols: ['http', 'https'], require_protocol: true };

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value);

const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};

/** One rule and one message for an integer setting, instead of three overlapping ones. */
function IsIntBetween(min: number, max: number): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIntBetween',
      constraints: [min, max],
      validator: { validate: (value: unknown) => Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max },
    },
    { message: `must be an integer from ${min} to ${max}` },
  );
}

/**
 * The raw environment, as strings, with the rules each variable must follow.
 * Only the variables listed here are read; `loadConfig` trims every value, treats an empty one
 * as unset, and turns the result into `AppConfig`.
 */
export class EnvironmentVariables {
  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV = 'development';

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(0, 65535)
  PORT = 3000;

  @IsOptional()
  @IsIn(['all', 'api', 'worker'])
  APP_ROLE = 'all';

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/n8n_bridge';

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  DB_MIGRATIONS_RUN = true;

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(1, 200)
  DB_POOL_SIZE = 20;

  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @IsOptional()
  @Matches(/^\s*(?:rediss?:\/\/\S+|[A-Za-z0-9_.-]+:\d{1,5})(?:\s*,\s*(?:rediss?:\/\/\S+|[A-Za-z0-9_.-]+:\d{1,5}))*\s*$/, {
    message: 'must be a comma-separated list of host:port (or redis:// URLs) of Redis Cluster nodes',
  })
  REDIS_CLUSTER_NODES?: string;

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(1, 64)
  QUEUE_PARTITIONS = 1;

  @IsOptional()
  @Matches(/^\s*\d{1,2}(\s*,\s*\d{1,2})*\s*$/, { message: 'must be a comma-separated list of partition numbers, e.g. 0,2,4' })
  WORKER_PARTITIONS?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'must be 1-64 characters of letters, digits, _ . : -' })
  QUEUE_PREFIX = 'bridge';

  @IsOptional()
  @IsUrl(HTTP_URL_OPTIONS, { message: 'must be an http(s) URL' })
  N8N_BASE_URL = 'http://127.0.0.1:5678';

  @IsOptional()
  @IsString()
  N8N_DISABLED_EVENTS = '';

  @IsOptional()
  @IsString()
  @MaxLength(200)
  N8N_ALERT_WORKFLOW_ID?: string;

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters' })
  N8N_JWT_SECRET?: string;

  @IsOptional()
  @IsString()
  WEBHOOK_SECRET?: string;

  @IsOptional()
  @IsIn(['hmac-sha256', 'standard-webhooks'])
  WEBHOOK_SIGNATURE_SCHEME = 'hmac-sha256';

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(1, 86400)
  WEBHOOK_SIGNATURE_TOLERANCE_SECONDS = 300;

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(100, 600000)
  WEBHOOK_TIMEOUT_MS = 30000;

  /** A worker's hold on a job, renewed every half of it while the job runs: a dead worker's deliveries go out again within 1.5 × this. */
  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(2000, 600000)
  WORKER_LOCK_MS = 30000;

  @IsOptional()
  @Matches(/^\d+(\s*,\s*\d+)*$/, { message: 'must be a comma-separated list of milliseconds, e.g. 5000,30000,300000' })
  WEBHOOK_RETRY_DELAYS_MS = '5000,30000,300000';

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(1, 1000)
  WEBHOOK_CONCURRENCY = 50;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  WEBHOOK_TEST_ENDPOINT_ENABLED = false;

  @IsOptional()
  @Matches(/^[1-9]\d*(b|kb|mb)?$/i, { message: 'must be a non-zero size such as 1mb, 512kb or 1048576' })
  BODY_LIMIT = '1mb';

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(100, 3600000)
  OUTBOX_RELAY_INTERVAL_MS = 5000;

  // ---- HTTP server limits (hardening): docs/security.md#hardening ----

  @IsOptional()
  @Matches(/^[1-9]\d*(b|kb|mb)?$/i, { message: 'must be a non-zero size such as 128kb or 131072' })
  CALLBACK_BODY_LIMIT = '128kb';

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(1, 10000)
  HTTP_MAX_CONCURRENT_BODIES = 32;

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(100, 600000)
  HTTP_BODY_TIMEOUT_MS = 10000;

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(100, 600000)
  HTTP_HEADERS_TIMEOUT_MS = 10000;

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(1000, 3600000)
  HTTP_REQUEST_TIMEOUT_MS = 30000;

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(100, 600000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 5000;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  TRUST_PROXY = 'false';

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  API_DOCS_ENABLED?: boolean;

  @IsOptional()
  @IsString()
  ADMIN_TOKEN?: string;

  @IsOptional()
  @IsString()
  ADMIN_USER?: string;

  @IsOptional()
  @IsString()
  ADMIN_PASSWORD?: string;

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(0, 100000)
  ADMIN_AUTH_FAILURES_PER_MINUTE = 10;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  BULL_BOARD_READ_ONLY = true;

  // ---- the delivery console at /console (mounted with ADMIN_USER and ADMIN_PASSWORD): README.md#console ----

  /** A console session ends this long after sign-in, whatever happens meanwhile (kept in Redis). */
  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(5, 10080)
  CONSOLE_SESSION_TTL_MINUTES = 480;

  /** Failed console sign-ins per source address per minute before the address is refused (0 = unlimited). */
  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(0, 1000)
  CONSOLE_SIGN_IN_FAILURES_PER_MINUTE = 5;

  // ---- operations (admin API, circuit breaker, rate limits, alerting, retention): docs/operations.md ----

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(1, 1000000)
  REPLAY_MAX_EVENTS = 1000;

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(0, 3650)
  RETENTION_DAYS = 30;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  RETENTION_INCLUDE_FAILED = false;

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(0, 100000)
  CIRCUIT_FAILURE_THRESHOLD = 10;

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(100, 86400000)
  CIRCUIT_COOLDOWN_MS = 60000;

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(0, 100000)
  WEBHOOK_RATE_LIMIT_PER_SECOND = 0;

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(0, 1000000)
  INCOMING_RATE_LIMIT_PER_MINUTE = 600;

  @IsOptional()
  @IsUrl(HTTP_URL_OPTIONS, { message: 'must be an http(s) URL' })
  ALERT_WEBHOOK_URL?: string;

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(1000, 604800000)
  ALERT_DEDUP_WINDOW_MS = 900000;

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(0, 65535)
  WORKER_METRICS_PORT = 0;

  // ---- subscriptions (several endpoints per event): docs/events.md ----

  /** 32 bytes as 64 hex characters or base64: encrypts subscription secrets at rest (AES-256-GCM). Required in production. */
  @IsOptional()
  @IsString()
  SECRETS_ENCRYPTION_KEY?: string;

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(0, 8760)
  SECRET_ROTATION_GRACE_HOURS = 24;

  @IsOptional()
  @Transform(toInt)
  @IsIntBetween(0, 87600)
  SUBSCRIPTION_DISABLE_AFTER_HOURS = 120;
}

/** Variables whose values must never be echoed back in an error line. */
export const SECRET_VARIABLES = new Set([
  'WEBHOOK_SECRET',
  'N8N_JWT_SECRET',
  'ADMIN_TOKEN',
  'ADMIN_PASSWORD',
  'DATABASE_URL',
  'REDIS_URL',
  'REDIS_CLUSTER_NODES',
  'SECRETS_ENCRYPTION_KEY',
]);
