import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import { deliveryQueueName } from '../../src/queue/queue-partitions';
import { closeRedisClient } from '../../src/redis/redis.module';
import { spawnBridge, stopBridge } from '../support/bridge-process';
import { DeliveryStateReader } from '../support/delivery-state';
import { RedisCluster, whenProcessEnds } from '../support/redis-cluster';
import { freeLoopbackPort } from '../support/redis-process';
import { baseTestEnv, TEST_ADMIN_TOKEN } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';

export type BridgeProcess = ReturnType<typeof spawnBridge>;

export interface ApiProcess {
  process: BridgeProcess;
  url: string;
}

export class BridgeExitedError extends Error {
  constructor(child: BridgeProcess, output: string) {
    super(`Bridge process ${child.pid} exited (${child.exitCode ?? child.signalCode}) while starting\n${output}`);
    this.name = 'BridgeExitedError';
  }
}

export interface ClusterStackOptions {
  /** Environment of every api and worker process. */
  env: Record<string, string>;
  /** Added to the workers' environment only. */
  workerEnv?: Record<string, string>;
  apis: number;
  workers: number;
  partitions: number;
}

/** One HTTP answer of an api process; status 0 when none came (connection refused, reset, timeout). */
export interface ApiAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON of any shape, read by the caller
  body: any;
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

const exited = (p: BridgeProcess) => p.exitCode !== null || p.signalCode !== null;

/**
 * The bridge scaled out as production runs it, on a database and a Redis Cluster (3 masters, 3
 * replicas) of its own: `apis` api processes and `workers` worker processes (src/main.ts,
 * APP_ROLE=api / worker) with REDIS_CLUSTER_NODES and QUEUE_PARTITIONS. The first api process
 * migrates the database before the others start. `partitionQueues` are this process's own
 * handles on the delivery queues (to count jobs per partition); `reader` reads Postgres directly.
 */
export class ClusterStack {
  readonly apis: ApiProcess[] = [];
  readonly workers: BridgeProcess[] = [];
  private stopped = false;
  /** Idle connections are dropped after 2 s, before the api's keep-alive timeout (5 s) could close one under a new request. */
  private readonly agent = new Agent({ keepAlive: true, timeout: 2000 });
  private readonly forgetCleanup = whenProcessEnds(() => this.bridges().forEach((p) => p.kill('SIGKILL')));

  private constructor(
    readonly redis: RedisCluster,
    readonly database: TestDatabase,
    readonly reader: DeliveryStateReader,
    readonly partitionQueues: Queue[],
    private readonly queueConnection: Cluster,
  ) {}

  static async start(options: ClusterStackOptions): Promise<ClusterStack> {
    const [redis, database] = await Promise.all([RedisCluster.start({ replicas: true }), createTestDatabase()]);
    const prefix = `cluster-${randomBytes(6).toString('hex')}`;
    const queueConnection = new Cluster(
      redis.ports.map((port) => ({ host: '127.0.0.1', port })),
      { redisOptions: { maxRetriesPerRequest: null }, retryDelayOnClusterDown: 200, retryDelayOnFailover: 200 },
    );
    queueConnection.on('error', () => undefined);
    const partitionQueues = Array.from({ length: options.partitions }, (_, p) => {
      const queue = new Queue(deliveryQueueName(p, true), { connection: queueConnection, prefix });
      queue.on('error', () => undefined);
      return queue;
    });
    const stack = new ClusterStack(redis, database, new DeliveryStateReader(database.url), partitionQueues, queueConnection);
    const env = baseTestEnv({
      ...options.env,
      REDIS_URL: undefined,
      REDIS_CLUSTER_NODES: redis.nodes,
      QUEUE_PARTITIONS: String(options.partitions),
      QUEUE_PREFIX: prefix,
      DATABASE_URL: database.url,
    });
    try {
      await stack.startApi({ ...env, APP_ROLE: 'api' });
      const rest = { ...env, DB_MIGRATIONS_RUN: 'false' };
      const others = Array.from({ length: options.apis - 1 }, () => stack.startApi({ ...rest, APP_ROLE: 'api' }));
      for (let i = 0; i < options.workers; i++) stack.workers.push(spawnBridge({ ...rest, ...options.workerEnv, APP_ROLE: 'worker' }));
      await Promise.all([...others, stack.waitForWorkers(options.workers)]);
      return stack;
    } catch (error) {
      await stack.stop();
      throw error;
    }
  }

  /** Resolves once `count` worker processes consume every partition; fails at once when one of them exits. */
  async waitForWorkers(count: number, timeoutMs = 90000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const dead = this.workers.find(exited);
      if (dead) throw new BridgeExitedError(dead, this.output());
      const connected = await Promise.all(this.partitionQueues.map((q) => q.getWorkersCount().catch(() => 0)));
      if (connected.every((n) => n >= count)) return;
      if (Date.now() > deadline)
        throw new Error(
          `Timed out after ${timeoutMs} ms waiting for ${count} workers on every partition (${connected.join(',')})\n${this.output()}`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * One request to api process `index` (modulo their number), as an admin, on a kept-alive
   * connection (node:http costs the test process a third of what fetch does per request).
   */
  request(index: number, method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const api = this.apis[index % this.apis.length]!;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve) => {
      const req = httpRequest(
        `${api.url}${path}`,
        {
          method,
          agent: this.agent,
          timeout: 30000,
          headers: {
            authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
            ...(payload !== undefined && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error) => resolve({ status: 0, body: { error: String(error) } }));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: parseJson(Buffer.concat(chunks)) }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
      req.on('error', (error) => resolve({ status: 0, body: { error: String(error), reused: req.reusedSocket } }));
      req.end(payload);
    });
  }

  /** Ids of the jobs each partition's queue has completed (BullMQ keeps the last ones: removeOnComplete). */
  async completedJobIds(): Promise<string[][]> {
    return Promise.all(this.partitionQueues.map((q) => q.getRanges(['completed'], 0, -1)));
  }

  /** True when no partition has a job waiting, prioritised, active or delayed. */
  async queuesIdle(): Promise<boolean> {
    const counts = await Promise.all(this.partitionQueues.map((q) => q.getJobCounts('waiting', 'prioritized', 'active', 'delayed')));
    return counts.every((c) => Object.values(c).every((n) => n === 0));
  }

  /** The last output of every bridge process (for failure messages). */
  output(): string {
    const all = [...this.apis.map((a) => ['api', a.process] as const), ...this.workers.map((w) => ['worker', w] as const)];
    return all.map(([role, p]) => `--- ${role} (pid ${p.pid}, exit ${p.exitCode ?? p.signalCode}) ---\n${p.output()}`).join('\n');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.bridges().map((p) => stopBridge(p)));
    this.forgetCleanup();
    await Promise.all(this.partitionQueues.map((q) => q.close().catch(() => undefined)));
    await closeRedisClient(this.queueConnection).catch(() => undefined);
    this.agent.destroy();
    await this.reader.close().catch(() => undefined);
    await Promise.all([this.database.drop(), this.redis.stop()]);
  }

  private bridges(): BridgeProcess[] {
    return [...this.apis.map((a) => a.process), ...this.workers];
  }

  /** Spawns an api process and resolves once it serves HTTP; fails at once when it exits. */
  private async startApi(env: Record<string, string | undefined>): Promise<void> {
    const port = await freeLoopbackPort();
    const api = { process: spawnBridge({ ...env, PORT: String(port) }), url: `http://127.0.0.1:${port}` };
    this.apis.push(api);
    const deadline = Date.now() + 90000;
    for (;;) {
      if (exited(api.process)) throw new BridgeExitedError(api.process, api.process.output());
      if ((await fetch(`${api.url}/health/live`).catch(() => undefined))?.ok) return;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for the api process on port ${port}\n${api.process.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
