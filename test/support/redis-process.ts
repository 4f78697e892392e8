import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { closeRedisClient } from '../../src/redis/redis.module';
import { waitFor } from './wait';

/** A port nobody listens on right now, on the loopback interface. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('No TCP port was assigned');
  return address.port;
}

/**
 * A real `redis-server` of the test's own, on a free loopback port, without persistence
 * (`--save "" --appendonly no`): killed and started again it comes back empty, like a production
 * Redis without RDB or AOF after a crash. The binary is `REDIS_SERVER_BIN` or `redis-server` on PATH.
 */
export class RedisProcess {
  private child?: ChildProcess;
  private port = 0;
  private dir?: string;
  private output = '';
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  async start(): Promise<this> {
    this.dir ??= await mkdtemp(join(tmpdir(), 'bridge-redis-'));
    if (this.port === 0) this.port = await freeLoopbackPort();
    const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir];
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => (this.output = (this.output + d.toString()).slice(-5000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.child = child;
    process.once('exit', this.killOnExit);
    try {
      await waitFor(() => child.exitCode === null && this.ping(), { timeoutMs: 10000, what: `redis-server on port ${this.port}` });
    } catch (error) {
      throw new Error(`${String(error)}\n${this.output}`, { cause: error });
    }
    return this;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** SIGKILL: every key is gone, every client connection drops. Resolves once the process has exited. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    process.removeListener('exit', this.killOnExit);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Starts a new, empty server on the same port (clients reconnect to the same URL). */
  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  async stop(): Promise<void> {
    await this.kill();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  /** Runs one command on a short-lived connection (for checks such as DBSIZE or INFO). */
  async call(command: string, ...args: (string | number)[]): Promise<unknown> {
    const redis = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await redis.connect();
      return await redis.call(command, ...args);
    } finally {
      await closeRedisClient(redis);
    }
  }

  private async ping(): Promise<boolean> {
    try {
      return (await this.call('PING')) === 'PONG';
    } catch {
      return false;
    }
  }
}
