import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;

const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off', ''].includes(v)) return false;
  return value;
};

const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/**
 * The raw environment, as strings, with the rules each variable must follow.
 * Only the variables listed here are read; `loadConfig` turns them into `AppConfig`.
 */
export class EnvironmentVariables {
  @IsOptional() @IsIn(['development', 'production', 'test'])
  NODE_ENV = 'development';

  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  PORT = 3000;

  @IsOptional() @IsIn(['all', 'api', 'worker'])
  APP_ROLE = 'all';

  @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @IsOptional() @Transform(trimmed) @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/n8n_bridge';

  @IsOptional() @Transform(toBool) @IsBoolean()
  DB_MIGRATIONS_RUN = true;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(200)
  DB_POOL_SIZE = 20;

  @IsOptional() @Transform(trimmed) @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @IsOptional() @Transform(trimmed) @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'must be 1-64 characters of letters, digits, _ . : -' })
  QUEUE_PREFIX = 'bridge';

  @IsOptional() @Transform(trimmed) @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true }, { message: 'must be an http(s) URL' })
  N8N_BASE_URL = 'http://127.0.0.1:5678';

  @IsOptional() @IsString()
  N8N_DISABLED_EVENTS = '';

  @IsOptional() @IsString() @MaxLength(200)
  N8N_ALERT_WORKFLOW_ID?: string;

  @IsOptional() @IsString() @MinLength(32, { message: 'must be at least 32 characters' })
  N8N_JWT_SECRET?: string;

  @IsOptional() @IsString()
  WEBHOOK_SECRET?: string;

  @IsOptional() @IsIn(['hmac-sha256', 'standard-webhooks'])
  WEBHOOK_SIGNATURE_SCHEME = 'hmac-sha256';

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(86400)
  WEBHOOK_SIGNATURE_TOLERANCE_SECONDS = 300;

  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(600000)
  WEBHOOK_TIMEOUT_MS = 30000;

  @IsOptional() @Transform(trimmed) @Matches(/^\d+(\s*,\s*\d+)*$/, { message: 'must be a comma-separated list of milliseconds, e.g. 5000,30000,300000' })
  WEBHOOK_RETRY_DELAYS_MS = '5000,30000,300000';

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  WEBHOOK_CONCURRENCY = 50;

  @IsOptional() @Transform(toBool) @IsBoolean()
  WEBHOOK_TEST_ENDPOINT_ENABLED = false;

  @IsOptional() @Transform(trimmed) @Matches(/^\d+(b|kb|mb)?$/i, { message: 'must be a size such as 1mb, 512kb or 1048576' })
  BODY_LIMIT = '1mb';

  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(3600000)
  OUTBOX_RELAY_INTERVAL_MS = 5000;

  @IsOptional() @IsString()
  ADMIN_TOKEN?: string;

  @IsOptional() @IsString()
  ADMIN_USER?: string;

  @IsOptional() @IsString()
  ADMIN_PASSWORD?: string;
}

/** Variables whose values must never be echoed back in an error line. */
export const SECRET_VARIABLES = new Set(['WEBHOOK_SECRET', 'N8N_JWT_SECRET', 'ADMIN_TOKEN', 'ADMIN_PASSWORD', 'DATABASE_URL', 'REDIS_URL']);
