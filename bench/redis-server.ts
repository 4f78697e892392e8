/**
 * A Redis of the bench's own (the `redis-server` binary on a free loopback port, no persistence),
 * so that its command counters and its CPU are the bridge's alone. Where the binary is missing,
 * the shared Redis of the run stands in and the figures say so.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { log, REDIS_URL } from './context';
import { freePort, until } from './support';

export interface BenchRedis {
  url: string;
  /** The server's pid when it is the bench's own; undefined for the shared Redis. */
  pid?: number;
  /** Commands processed so far (INFO stats total_commands_processed, script-internal calls included). */
  commands(): Promise<number>;
  /** Calls per command so far (INFO commandstats). */
  commandStats(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

function parseCommandStats(text: string): Record<string, number> {
  const stats: Record<string, number> = {};
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) stats[match[1]!] = Number(match[2]);
  return stats;
}

function client(url: string, server?: ChildProcess): BenchRedis {
  const redis = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: false });
  return {
    url,
    pid: server?.pid,
    commands: async () => Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1]),
    commandStats: async () => parseCommandStats(await redis.info('commandstats')),
    close: async () => {
      redis.disconnect();
      if (!server || server.exitCode !== null || server.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        server.once('exit', () => resolve());
        server.kill('SIGTERM');
      });
    },
  };
}

/** Starts a private redis-server and answers once it takes commands; falls back to the shared Redis when it cannot start. */
export async function startBenchRedis(): Promise<BenchRedis> {
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const started = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.once('spawn', () => resolve(true));
  });
  if (!started) {
    log(`redis-server could not be started: the shared Redis (${REDIS_URL}) stands in, its command counts include other clients`);
    return client(REDIS_URL);
  }
  const url = `redis://127.0.0.1:${port}`;
  await until(async () => {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return true;
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }, 10_000);
  return client(url, server);
}
