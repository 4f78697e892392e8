import { INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app/app.module';
import { configureHttpApp } from '../../src/app/app.setup';
import { ThrottlingModule } from '../../src/common/throttling/throttling.module';
import { AppConfig } from '../../src/config/app-config';
import { loadConfig } from '../../src/config/load-config';
import { closeRedisClient } from '../../src/redis/redis.module';
import { SecurityModule } from '../../src/security/security.module';
import { createTestDatabase, TestDatabase } from './test-database';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const TEST_WEBHOOK_SECRET = 'test-webhook-secret-0123456789abcdef0123';

/** The environment every e2e app starts from; each test overrides what it needs. */
export function baseTestEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: `test-${randomBytes(6).toString('hex')}`,
    WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    N8N_BASE_URL: 'http://127.0.0.1:9',
    ...overrides,
  };
}

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  db: TestDatabase;
  dataSource: DataSource;
  http: ReturnType<INestApplication['getHttpServer']>;
  close(): Promise<void>;
}

/**
 * Boots the real app (migrations included) on its own fresh database and Redis prefix.
 * `controllers` adds test-only routes (e.g. to exercise a guard) to the app under test; they sit
 * in the test root module, which imports what their guards need (signature guard, rate limit).
 */
export async function startTestApp(env: Record<string, string | undefined> = {}, options: { controllers?: Type[] } = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const config = loadConfig(baseTestEnv({ DATABASE_URL: db.url, ...env }));
  let app: INestApplication | undefined;
  try {
    const guards = options.controllers ? [SecurityModule, ThrottlingModule] : [];
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot(config), ...guards],
      controllers: options.controllers ?? [],
    }).compile();
    app = moduleRef.createNestApplication({ bodyParser: false, bufferLogs: true });
    configureHttpApp(app, config);
    await app.init();
  } catch (error) {
    await app?.close().catch(() => undefined);
    await db.drop();
    throw error;
  }
  const started = app;
  return {
    app: started,
    config,
    db,
    dataSource: started.get<DataSource>(getDataSourceToken()),
    http: started.getHttpServer(),
    close: async () => {
      await started.close();
      await deleteRedisPrefix(config.redis.queuePrefix);
      await db.drop();
    },
  };
}

/** Removes every key a test wrote under its BullMQ prefix. */
export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1, disconnectTimeout: 0 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await closeRedisClient(redis);
  }
}
