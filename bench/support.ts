import { ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the compiled entry points live (`npm run bench` compiles to .bench/build), or the sources under ts-node. */
const COMPILED = __filename.endsWith('.js');
export const BUILD_ROOT = join(__dirname, '..');
export const ROOT = COMPILED ? join(BUILD_ROOT, '..', '..') : BUILD_ROOT;

/**
 * Forks an entry point of this repo (`bench/x.ts`, `src/main.ts`) with the given environment: the
 * compiled JavaScript, so memory figures are those of production, or the source under ts-node.
 */
export function forkTs(file: string, env: Record<string, string | undefined> = {}, args: string[] = []): ChildProcess {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, '.bench', 'profiles')}`] : [];
  return fork(join(BUILD_ROOT, COMPILED ? file.replace(/\.ts$/, '.js') : file), args, {
    cwd: ROOT,
    execArgv: COMPILED ? profile : ['-r', 'ts-node/register/transpile-only', ...profile],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** The part of a child's IPC message these helpers read: its `type`, and `message` on `error`. */
interface ChildMessage {
  type?: string;
  message?: string;
}

/** Sends a message and resolves with the first reply of the given type. */
export function ask<T = unknown>(child: ChildProcess, message: object, replyType: string, timeoutMs = 600_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${replyType}' reply within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (msg: ChildMessage | null | undefined) => {
      if (msg?.type === 'error') {
        clearTimeout(timer);
        child.off('message', onMessage);
        reject(new Error(msg.message));
      } else if (msg?.type === replyType) {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(msg as T);
      }
    };
    child.on('message', onMessage);
    if (Object.keys(message).length) child.send(message);
  });
}

export function waitReady<T = unknown>(child: ChildProcess, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child did not become ready')), timeoutMs);
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before it was ready`)));
    child.on('message', (msg: ChildMessage | null | undefined) => {
      if (msg?.type === 'ready') {
        clearTimeout(timer);
        resolve(msg as T);
      }
    });
  });
}

/** Peak resident set size of a live process (VmHWM), in MB. */
export function peakRssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 1024) : null;
  } catch {
    return null;
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export async function until(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function stop(child: ChildProcess | undefined, graceMs = 20_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export const round = (n: number, digits = 1) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n);
