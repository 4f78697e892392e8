import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { closeRedisClient } from '../../src/redis/redis.module';

const run = promisify(execFile);
const SCRIPT = join(__dirname, '..', '..', 'scripts', 'redis-cluster.sh');
/** Each cluster lives in a temporary folder named so, holding the test process's pid and the nodes' folder. */
const HOME_PREFIX = 'bridge-redis-cluster-';
const OWNER_FILE = 'owner.pid';
/** Node ports are drawn from here: below the ephemeral range, and so are their bus ports (port + 10000). */
const FIRST_BASE_PORT = 10000;
const LAST_BASE_PORT = 19990;

/** One node as CLUSTER NODES describes it. */
export interface ClusterNode {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** The master's id, for a replica. */
  masterId?: string;
  /** `fail` or `pfail` flagged: the others no longer reach it. */
  failing: boolean;
  /** Slot ranges served (masters), e.g. [[0, 5460]]. */
  slots: [number, number][];
}

/** A master killed by `killMaster`. */
export interface KilledMaster {
  id: string;
  port: number;
  slots: [number, number][];
  /** When the process had exited (epoch ms). */
  at: number;
}

export class ClusterFailoverTimeoutError extends Error {
  constructor(killed: KilledMaster, timeoutMs: number, nodes: string) {
    super(`No replica took over the slots of master 127.0.0.1:${killed.port} within ${timeoutMs} ms\n${nodes}`);
    this.name = 'ClusterFailoverTimeoutError';
  }
}

/**
 * Runs `cleanup` (synchronous) when this process exits, or is interrupted or terminated (then the
 * signal is raised again once done: the process still ends as it would have). Returns the function
 * that unregisters it.
 */
export function whenProcessEnds(cleanup: () => void): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    forget();
    cleanup();
    process.kill(process.pid, signal);
  };
  const forget = () => {
    process.removeListener('exit', cleanup);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
  process.once('exit', cleanup);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return forget;
}

/** Whether nothing listens on `port` of the loopback interface right now. */
export function isLoopbackPortFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Parses CLUSTER NODES output. */
export function parseClusterNodes(text: string): ClusterNode[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, address, flags, master, , , , , ...slots] = line.split(' ');
      const flagList = flags!.split(',');
      return {
        id: id!,
        port: Number(address!.split('@')[0]!.split(':')[1]),
        role: flagList.includes('master') ? 'master' : 'replica',
        ...(master !== '-' && { masterId: master }),
        failing: flagList.includes('fail') || flagList.includes('fail?'),
        slots: slots
          .filter((s) => !s.startsWith('['))
          .map((s) => {
            const [from, to] = s.split('-').map(Number);
            return [from!, to ?? from!] as [number, number];
          }),
      };
    });
}

/**
 * A Redis Cluster of the test's own (scripts/redis-cluster.sh): 3 masters, with one replica each
 * unless told otherwise, on free loopback ports, in a temporary folder, without persistence, with a
 * 1 s node timeout (a replica takes over a killed master in about 2–3 s). The nodes are killed when
 * this process exits or is interrupted; those of a test process that died without cleaning up
 * (killed outright) are killed by the next start.
 */
export class RedisCluster {
  private readonly forgetCleanup: () => void;

  private constructor(
    private readonly home: string,
    readonly ports: number[],
    private readonly pids: Map<number, number>,
  ) {
    this.forgetCleanup = whenProcessEnds(() => this.killAllNow());
  }

  static async start(options: { replicas?: boolean } = {}): Promise<RedisCluster> {
    const replicas = options.replicas ?? true;
    const count = replicas ? 6 : 3;
    await RedisCluster.sweepAbandoned();
    let lastError: unknown;
    for (let tries = 0; tries < 5; tries++) {
      const base = await RedisCluster.freeBasePort(count);
      const home = await mkdtemp(join(tmpdir(), HOME_PREFIX));
      await writeFile(join(home, OWNER_FILE), String(process.pid));
      const dir = join(home, 'nodes');
      try {
        await run('bash', [SCRIPT, 'start', dir, String(base), replicas ? '1' : '0'], { env: process.env });
      } catch (error) {
        // Most likely a port taken between the check and the start: another base.
        lastError = error;
        await run('bash', [SCRIPT, 'stop', dir]).catch(() => undefined);
        await rm(home, { recursive: true, force: true });
        continue;
      }
      const ports = Array.from({ length: count }, (_, i) => base + i);
      const pids = new Map(ports.map((port) => [port, Number(readFileSync(join(dir, String(port), 'redis.pid'), 'utf8'))]));
      return new RedisCluster(home, ports, pids);
    }
    const detail = (lastError as { stderr?: string } | undefined)?.stderr ?? String(lastError);
    throw new Error(`Could not start a Redis Cluster: ${detail}`, { cause: lastError });
  }

  /** `127.0.0.1:port,…` of every node: the value of REDIS_CLUSTER_NODES. */
  get nodes(): string {
    return this.ports.map((port) => `127.0.0.1:${port}`).join(',');
  }

  /** The nodes as a live node sees them. */
  async clusterNodes(): Promise<ClusterNode[]> {
    for (const port of this.livePorts()) {
      const text = await this.call(port, 'CLUSTER', 'NODES').catch(() => undefined);
      if (typeof text === 'string') return parseClusterNodes(text);
    }
    throw new Error('No node of the cluster answers');
  }

  /** The masters serving slots, by first slot (the master of slot 0 first). */
  async masters(): Promise<ClusterNode[]> {
    const nodes = await this.clusterNodes();
    return nodes
      .filter((n) => n.role === 'master' && !n.failing && n.slots.length > 0)
      .sort((a, b) => Math.min(...a.slots.map((s) => s[0])) - Math.min(...b.slots.map((s) => s[0])));
  }

  /** SIGKILL of the `index`-th master of `masters()`: its data and its connections are gone at once. */
  async killMaster(index: number): Promise<KilledMaster> {
    const master = (await this.masters())[index];
    if (!master) throw new Error(`The cluster has no master #${index}`);
    const pid = this.pids.get(master.port);
    if (pid === undefined) throw new Error(`No process is known for port ${master.port}`);
    process.kill(pid, 'SIGKILL');
    this.pids.delete(master.port);
    // The process may linger as a zombie (its parent is init): gone means its port refuses connections.
    while (await acceptsConnections(master.port)) await new Promise((r) => setTimeout(r, 10));
    return { id: master.id, port: master.port, slots: master.slots, at: Date.now() };
  }

  /**
   * Waits until the killed master is flagged failed, a live master serves its slots and every live
   * node reports cluster_state:ok. Resolves with the milliseconds since the kill.
   */
  async waitForFailover(killed: KilledMaster, timeoutMs = 30000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.tookOver(killed).catch(() => false)) return Date.now() - killed.at;
      if (Date.now() > deadline) {
        const nodes = await this.call(this.livePorts()[0]!, 'CLUSTER', 'NODES').catch((e: unknown) => String(e));
        throw new ClusterFailoverTimeoutError(killed, timeoutMs, String(nodes));
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Runs one command on one node, on a short-lived connection (no redirections followed). */
  async call(port: number, command: string, ...args: (string | number)[]): Promise<unknown> {
    const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await redis.connect();
      return await redis.call(command, ...args);
    } finally {
      await closeRedisClient(redis);
    }
  }

  async stop(): Promise<void> {
    this.forgetCleanup();
    await run('bash', [SCRIPT, 'stop', join(this.home, 'nodes')]).catch(() => this.killAllNow());
    await rm(this.home, { recursive: true, force: true });
  }

  private livePorts(): number[] {
    return this.ports.filter((port) => this.pids.has(port));
  }

  private async tookOver(killed: KilledMaster): Promise<boolean> {
    const nodes = await this.clusterNodes();
    const dead = nodes.find((n) => n.id === killed.id);
    if (!dead?.failing) return false;
    const owner = (slot: number) =>
      nodes.find((n) => n.role === 'master' && !n.failing && n.slots.some(([a, b]) => slot >= a && slot <= b));
    if (!killed.slots.every(([from, to]) => owner(from) && owner(to))) return false;
    for (const port of this.livePorts()) {
      const info = await this.call(port, 'CLUSTER', 'INFO');
      if (!String(info).includes('cluster_state:ok')) return false;
    }
    return true;
  }

  private killAllNow(): void {
    for (const pid of this.pids.values()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.pids.clear();
    rmSync(this.home, { recursive: true, force: true });
  }

  /** Stops the clusters of test processes that are gone (killed before they could stop theirs). */
  private static async sweepAbandoned(): Promise<void> {
    for (const name of await readdir(tmpdir())) {
      if (!name.startsWith(HOME_PREFIX)) continue;
      const home = join(tmpdir(), name);
      const owner = Number(await readFile(join(home, OWNER_FILE), 'utf8').catch(() => ''));
      if (!Number.isInteger(owner) || owner <= 0 || isRunning(owner)) continue;
      await run('bash', [SCRIPT, 'stop', join(home, 'nodes')]).catch(() => undefined);
      await rm(home, { recursive: true, force: true });
    }
  }

  /** A base port whose `count` ports and their cluster bus ports are all free. */
  private static async freeBasePort(count: number): Promise<number> {
    for (;;) {
      const base = FIRST_BASE_PORT + Math.floor(Math.random() * (LAST_BASE_PORT - FIRST_BASE_PORT));
      const ports = Array.from({ length: count }, (_, i) => [base + i, base + i + 10000]).flat();
      if ((await Promise.all(ports.map(isLoopbackPortFree))).every(Boolean)) return base;
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
