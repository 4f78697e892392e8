import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { safeEqual } from '../common/crypto/safe-equal';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsService } from './metrics.service';

/**
 * A worker-role process has no HTTP server, but its delivery counters live in it: with
 * WORKER_METRICS_PORT set it serves `GET /metrics` (same bearer ADMIN_TOKEN) on that port.
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerMetricsServer.name);
  private server?: Server;
  private readonly expected?: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    if (config.admin.token) this.expected = config.admin.token;
  }

  async onApplicationBootstrap(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.metrics.workerPort, '0.0.0.0', () => resolve());
    });
    this.server = server;
    this.logger.log({ port: this.config.metrics.workerPort }, 'Worker metrics listening on /metrics');
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') return void res.writeHead(404).end();
    const token = /^Bearer\s+(.+)$/i.exec((req.headers.authorization ?? '').trim())?.[1];
    if (!this.expected || token === undefined || !safeEqual(token, this.expected)) return void res.writeHead(401).end();
    try {
      const body = await this.metrics.metrics();
      res.writeHead(200, { 'content-type': this.metrics.contentType }).end(body);
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not render metrics');
      res.writeHead(500).end();
    }
  }
}
