import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { WebhookQueueService } from '../../src/queue/webhook-queue.service';
import { baseTestEnv, startTestApp, TestApp } from './test-app';
import { waitFor } from './wait';

/**
 * Runs the real entry point (src/main.ts) in a child process, e.g. with APP_ROLE=worker, to
 * test several processes sharing one queue. Only the given variables (plus PATH) reach it;
 * `nodeArgs` go to node itself (e.g. the heap flags production starts with).
 */
export function spawnBridge(env: Record<string, string | undefined>, nodeArgs: string[] = []): ChildProcess & { output: () => string } {
  const root = join(__dirname, '..', '..');
  const child = spawn(process.execPath, [...nodeArgs, '-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, TS_NODE_PROJECT: join(root, 'tsconfig.json'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20000)));
  child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20000)));
  return Object.assign(child, { output: () => output });
}

/** SIGTERM, then waits for the exit (SIGKILL after `graceMs`). Resolves with the exit code. */
export function stopBridge(child: ChildProcess, graceMs = 15000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

export interface ApiWithWorkers {
  /** The in-process app in the `api` role: it raises events and serves HTTP, but delivers nothing. */
  t: TestApp;
  workers: ReturnType<typeof spawnBridge>[];
  stop(): Promise<void>;
}

/**
 * An `api` app plus `count` real worker processes sharing its database and queue prefix; resolves
 * once every worker is connected to the queue.
 */
export async function startApiWithWorkers(
  env: Record<string, string>,
  workerEnv: Record<string, string> = {},
  count = 2,
): Promise<ApiWithWorkers> {
  const prefix = `test-${randomBytes(6).toString('hex')}`;
  const t = await startTestApp({ ...env, QUEUE_PREFIX: prefix, APP_ROLE: 'api' });
  const childEnv = baseTestEnv({
    ...env,
    ...workerEnv,
    QUEUE_PREFIX: prefix,
    DATABASE_URL: t.db.url,
    APP_ROLE: 'worker',
    DB_MIGRATIONS_RUN: 'false',
  });
  const workers = Array.from({ length: count }, () => spawnBridge(childEnv));
  const stop = async () => {
    await Promise.all(workers.map((w) => stopBridge(w)));
    await t.close();
  };
  const queue = t.app.get(WebhookQueueService).queue;
  try {
    await waitFor(async () => (await queue.getWorkers()).length >= count, {
      timeoutMs: 40000,
      what: `${count} worker processes connected`,
    });
  } catch (error) {
    const output = workers.map((w) => w.output()).join('\n---\n');
    await stop();
    throw new Error(`${String(error)}\n${output}`, { cause: error });
  }
  return { t, workers, stop };
}
