import { EventType } from '../triggers/event-catalog';

export type AppRole = 'all' | 'api' | 'worker';
export type NodeEnv = 'development' | 'production' | 'test';
export type SignatureScheme = 'hmac-sha256' | 'standard-webhooks';

/** The validated, typed configuration. Built once by `loadConfig`; nothing else reads `process.env`. */
export interface AppConfig {
  env: NodeEnv;
  port: number;
  role: AppRole;
  logLevel: string;
  bodyLimit: string;
  database: {
    url: string;
    migrationsRun: boolean;
    poolSize: number;
  };
  redis: {
    url: string;
    queuePrefix: string;
  };
  n8n: {
    baseUrl: string;
    /** Per-event URL overrides from `N8N_WEBHOOK_URL_<EVENT>`. */
    webhookUrls: Partial<Record<EventType, string>>;
    disabledEvents: EventType[];
    alertWorkflowId?: string;
    jwtSecret?: string;
  };
  webhook: {
    /** The first secret signs; every one of them verifies (rotation). */
    secrets: string[];
    /** True when no WEBHOOK_SECRET was given and the development placeholder is in use. */
    usingDevelopmentSecret: boolean;
    scheme: SignatureScheme;
    toleranceSeconds: number;
    timeoutMs: number;
    /** One entry per retry: attempts = retryDelaysMs.length + 1. */
    retryDelaysMs: number[];
    concurrency: number;
    testEndpointEnabled: boolean;
  };
  outbox: {
    relayIntervalMs: number;
  };
  admin: {
    token?: string;
    user?: string;
    password?: string;
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export function runsApi(config: AppConfig): boolean {
  return config.role === 'all' || config.role === 'api';
}

export function runsWorker(config: AppConfig): boolean {
  return config.role === 'all' || config.role === 'worker';
}
