import { Inject, Injectable } from '@nestjs/common';
import { request } from 'undici';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DependencyIndicators } from '../health/health.indicators';
import { WebhookQueueService } from '../queue/webhook-queue.service';

const N8N_TIMEOUT_MS = 2000;

export interface CallbackHealth {
  status: 'ok' | 'degraded' | 'down';
  checks: {
    database: { status: string; latency_ms?: number };
    redis: { status: string; latency_ms?: number };
    queue: { worker_running: boolean; workers: number; paused: boolean; waiting: number; failed: number } | { status: 'down' };
    n8n: { reachable: boolean; latency_ms: number; status_code?: number };
    security: { secret_configured: boolean; scheme: string; secrets: number };
  };
}

/**
 * What an n8n workflow (or its operator) needs to know before sending: can the bridge store
 * callbacks (database, Redis), is anything delivering events (workers, pause, backlog), can it
 * reach n8n, and how requests are signed. `down` (503) when the database or Redis is not usable;
 * `degraded` when n8n is unreachable or no worker is connected.
 */
@Injectable()
export class CallbackHealthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly indicators: DependencyIndicators,
    private readonly queue: WebhookQueueService,
  ) {}

  async check(): Promise<CallbackHealth> {
    const [database, redis, n8n] = await Promise.all([this.indicators.database(), this.indicators.redisPing(), this.n8n()]);
    const dbUp = database.database.status === 'up';
    const redisUp = redis.redis.status === 'up';
    const queue = redisUp ? await this.queueState().catch(() => ({ status: 'down' as const })) : { status: 'down' as const };
    const workerRunning = 'worker_running' in queue && queue.worker_running;
    const status = !dbUp || !redisUp ? 'down' : n8n.reachable && workerRunning ? 'ok' : 'degraded';
    return {
      status,
      checks: {
        database: database.database,
        redis: redis.redis,
        queue,
        n8n,
        security: {
          secret_configured: !this.config.webhook.usingDevelopmentSecret,
          scheme: this.config.webhook.scheme,
          secrets: this.config.webhook.secrets.length,
        },
      },
    };
  }

  private async queueState() {
    // Workers per partition: every partition needs one (WORKER_PARTITIONS may split them over processes).
    const [workers, paused, counts] = await Promise.all([
      Promise.all(this.queue.partitions.map((q) => q.getWorkersCount())),
      this.queue.isPaused(),
      this.queue.counts(),
    ]);
    return {
      worker_running: workers.every((n) => n > 0),
      workers: Math.max(...workers),
      paused,
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      failed: counts.failed ?? 0,
    };
  }

  private async n8n(): Promise<CallbackHealth['checks']['n8n']> {
    const started = performance.now();
    try {
      const res = await request(`${this.config.n8n.baseUrl}/healthz`, { method: 'GET', signal: AbortSignal.timeout(N8N_TIMEOUT_MS) });
      await res.body.dump();
      return { reachable: res.statusCode < 500, latency_ms: Math.round(performance.now() - started), status_code: res.statusCode };
    } catch {
      return { reachable: false, latency_ms: Math.round(performance.now() - started) };
    }
  }
}
