import { EventType } from '../events/event-catalog';

export type AppRole = 'all' | 'api' | 'worker';
export type NodeEnv = 'development' | 'production' | 'test';
export type SignatureScheme = 'hmac-sha256' | 'standard-webhooks';

export interface RedisClusterConfig {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
}

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
    /** The single Redis (REDIS_URL); unused when `cluster` is set. */
    url: string;
    /** Redis Cluster (REDIS_CLUSTER_NODES): every client of the app goes through an ioredis Cluster. */
    cluster?: RedisClusterConfig;
    queuePrefix: string;
  };
  queue: {
    /** QUEUE_PARTITIONS: how many delivery queues a delivery is spread over (by subscription and entity). */
    partitions: number;
    /** WORKER_PARTITIONS: the partitions this process's delivery worker consumes (all by default). */
    workerPartitions: number[];
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
    /** BullMQ lock of a running job (renewed every half of it); a dead worker's jobs are re-run within 1.5 × this. */
    workerLockMs: number;
    testEndpointEnabled: boolean;
  };
  outbox: {
    relayIntervalMs: number;
  };
  http: {
    /** Largest body of an incoming n8n callback, read as raw bytes before anything is parsed. */
    callbackBodyLimit: string;
    /** Request bodies being read at once, across all routes; more wait their turn (or get 503 after the body timeout). */
    maxConcurrentBodies: number;
    /** Longest a request body may take to arrive (slow senders get 408). */
    bodyTimeoutMs: number;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    /** Express `trust proxy` value: false (default), true, a hop count, or addresses/subnets. */
    trustProxy: boolean | number | string;
    /** Swagger UI at /docs and /docs-json (default: on outside production). */
    apiDocsEnabled: boolean;
  };
  admin: {
    token?: string;
    user?: string;
    password?: string;
    /** Failed admin authentications (bearer or basic) per source address per minute before 429 (0 = unlimited). */
    authFailuresPerMinute: number;
    /** Bull Board without write actions (default true). */
    bullBoardReadOnly: boolean;
  };
  console: {
    /** A console session ends this long after sign-in (server-side: the session lives in Redis with this TTL). */
    sessionTtlMs: number;
    /** Failed console sign-ins per source address per minute before 429 (0 = unlimited). */
    signInFailuresPerMinute: number;
  };
  operations: {
    /** A filtered replay matching more events than this is refused unless `force: true`. */
    replayMaxEvents: number;
    /** Finished events older than this are deleted daily (0 = no retention job). */
    retentionDays: number;
    retentionIncludeFailed: boolean;
  };
  circuit: {
    /** Consecutive failures that open a target's circuit (0 = no circuit breaker). */
    failureThreshold: number;
    cooldownMs: number;
  };
  rateLimits: {
    /** Outgoing deliveries per second across every worker (0 = unlimited). */
    outgoingPerSecond: number;
    /** Incoming n8n callbacks per source address per minute (0 = unlimited). */
    incomingPerMinute: number;
  };
  alerts: {
    /** Where alerts go; undefined = the normal workflow_error target. */
    webhookUrl?: string;
    dedupWindowMs: number;
  };
  metrics: {
    /** Worker role only: serve /metrics on this port (0 = off). */
    workerPort: number;
  };
  subscriptions: {
    /** The AES-256-GCM key of subscription secrets at rest (32 bytes). */
    encryptionKey: Buffer;
    /** True when SECRETS_ENCRYPTION_KEY is unset and the development key is in use (never in production). */
    usingDevelopmentKey: boolean;
    /** After a rotation, requests carry both signatures for this long. */
    rotationGraceMs: number;
    /** A subscription that did nothing but fail for this long is disabled (0 = never). */
    disableAfterMs: number;
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export function runsApi(config: AppConfig): boolean {
  return config.role === 'all' || config.role === 'api';
}

export function runsWorker(config: AppConfig): boolean {
  return config.role === 'all' || config.role === 'worker';
}
