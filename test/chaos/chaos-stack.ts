import { randomBytes, randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { WebhookQueueService } from '../../src/queue/webhook-queue.service';
import { spawnBridge, stopBridge } from '../support/bridge-process';
import { DeliveryStateReader } from '../support/delivery-state';
import { baseTestEnv, startTestApp, TEST_ADMIN_TOKEN, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';

export type WorkerProcess = ReturnType<typeof spawnBridge>;

export class WorkerExitedError extends Error {
  constructor(worker: WorkerProcess, output: string) {
    super(`Worker process ${worker.pid} exited (${worker.exitCode ?? worker.signalCode}) while starting\n${output}`);
    this.name = 'WorkerExitedError';
  }
}

export interface ChaosStackOptions {
  /** Environment of the api app and of every worker. */
  env: Record<string, string>;
  /** Added to the workers' environment only. */
  workerEnv?: Record<string, string>;
  workers: number;
  /** `all` also delivers in this process (e.g. with no worker process at all); `api` by default. */
  apiRole?: 'api' | 'all';
  /** The database URL the bridge uses, given the direct one (e.g. to go through a TcpProxy); the direct one by default. */
  bridgeDatabaseUrl?: (direct: URL) => string;
}

/** What one burst of POST /api/v1/leads gave. */
export interface LeadBurst {
  /** Ids of the leads answered 201. */
  created: string[];
  /** Every status answered, in completion order (0: no answer, the connection failed). */
  statuses: number[];
}

/**
 * The bridge as production runs it, on a database of its own: an `api` app in this process
 * (listening on a loopback port, taking events through its real HTTP API) and `workers` real
 * worker processes (src/main.ts with APP_ROLE=worker) sharing its queue prefix. Workers can be
 * killed, stopped and started again; `reader` reads the database directly, whatever the bridge's
 * own connection goes through.
 */
export class ChaosStack {
  readonly workers: WorkerProcess[] = [];
  private stopped = false;

  private constructor(
    readonly api: TestApp,
    readonly database: TestDatabase,
    readonly reader: DeliveryStateReader,
    private readonly workerEnv: Record<string, string | undefined>,
  ) {}

  static async start(options: ChaosStackOptions): Promise<ChaosStack> {
    const database = await createTestDatabase();
    const bridgeUrl = options.bridgeDatabaseUrl?.(new URL(database.url)) ?? database.url;
    const prefix = `chaos-${randomBytes(6).toString('hex')}`;
    let api: TestApp;
    try {
      api = await startTestApp({ ...options.env, DATABASE_URL: bridgeUrl, QUEUE_PREFIX: prefix, APP_ROLE: options.apiRole ?? 'api' });
    } catch (error) {
      await database.drop();
      throw error;
    }
    const workerEnv = baseTestEnv({
      ...options.env,
      ...options.workerEnv,
      QUEUE_PREFIX: prefix,
      DATABASE_URL: bridgeUrl,
      APP_ROLE: 'worker',
      DB_MIGRATIONS_RUN: 'false',
    });
    const stack = new ChaosStack(api, database, new DeliveryStateReader(database.url), workerEnv);
    try {
      await api.app.listen(0, '127.0.0.1');
      for (let i = 0; i < options.workers; i++) stack.spawnWorker();
      await stack.waitForWorkers(options.workers);
      return stack;
    } catch (error) {
      await stack.stop();
      throw error;
    }
  }

  /** Where the api app listens (http://127.0.0.1:port). */
  get apiUrl(): string {
    const { port } = this.api.app.getHttpServer().address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  get queue(): WebhookQueueService['queue'] {
    return this.api.app.get(WebhookQueueService).queue;
  }

  spawnWorker(): WorkerProcess {
    const worker = spawnBridge(this.workerEnv);
    this.workers.push(worker);
    return worker;
  }

  /** Resolves once `count` worker processes are connected to the queue; fails at once when one of them exits. */
  async waitForWorkers(count: number, timeoutMs = 60000): Promise<void> {
    const booting = this.workers.filter((w) => w.exitCode === null && w.signalCode === null);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const exited = booting.find((w) => w.exitCode !== null || w.signalCode !== null);
      if (exited) throw new WorkerExitedError(exited, this.workerOutput());
      const connected = await this.queue.getWorkers().then(
        (workers) => workers.length,
        () => 0,
      );
      if (connected >= count) return;
      if (Date.now() > deadline)
        throw new Error(`Timed out after ${timeoutMs} ms waiting for ${count} worker process(es) to connect\n${this.workerOutput()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGKILL: the process dies at once, its jobs stay locked in Redis until their locks expire. */
  async kill(worker: WorkerProcess): Promise<void> {
    if (worker.exitCode !== null || worker.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.kill('SIGKILL');
    });
  }

  /**
   * SIGTERM and wait for the exit (graceful shutdown; SIGKILL after `graceMs`). Nest re-raises the
   * signal once it has closed, so a clean stop ends with signal SIGTERM (or code 0).
   */
  async terminate(worker: WorkerProcess, graceMs = 60000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    await stopBridge(worker, graceMs);
    return { code: worker.exitCode, signal: worker.signalCode };
  }

  /**
   * Creates `count` leads through POST /api/v1/leads, `concurrency` requests at a time; each lead
   * raises one lead_scraped event. With `retryUnavailable`, a lead refused with 503 (or without an
   * answer) is sent again 100 ms later, as a client honouring 503 would.
   */
  async createLeads(count: number, options: { concurrency?: number; tag?: string; retryUnavailable?: boolean } = {}): Promise<LeadBurst> {
    const { concurrency = 8, tag = 'chaos', retryUnavailable = false } = options;
    const burst: LeadBurst = { created: [], statuses: [] };
    let next = 0;
    const lane = async () => {
      while (next < count) {
        const body = { title: `${tag} lead ${next++}`, url: `https://ads.example/${tag}/${randomUUID()}` };
        for (;;) {
          const res = await this.postLead(body);
          burst.statuses.push(res.status);
          if (res.status === 201) burst.created.push(res.id!);
          if (!retryUnavailable || (res.status !== 503 && res.status !== 0)) break;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    return burst;
  }

  /** One POST /api/v1/leads; status 0 when no answer came (connection refused or reset). */
  async postLead(body: { title: string; url: string }): Promise<{ status: number; id?: string; retryAfter?: string | null }> {
    try {
      const res = await fetch(`${this.apiUrl}/api/v1/leads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30000),
      });
      const json = (await res.json().catch(() => ({}))) as { id?: string };
      return { status: res.status, id: json.id, retryAfter: res.headers.get('retry-after') };
    } catch {
      return { status: 0 };
    }
  }

  /** The last output of every worker process (for failure messages). */
  workerOutput(): string {
    return this.workers.map((w, i) => `--- worker ${i} (pid ${w.pid}, exit ${w.exitCode ?? w.signalCode}) ---\n${w.output()}`).join('\n');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.workers.map((w) => stopBridge(w)));
    await this.api.close().catch(() => undefined);
    await this.reader.close().catch(() => undefined);
    await this.database.drop();
  }
}
