import { ChildProcess, execFileSync, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../migrations';

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

/** Sends a message and resolves with the first reply of the given type; rejects on an `error` reply or when the child exits. */
export function ask<T = unknown>(child: ChildProcess, message: object, replyType: string, timeoutMs = 600_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no '${replyType}' reply within ${timeoutMs} ms`));
    }, timeoutMs);
    const onExit = (code: number | null, signal: string | null) => {
      done();
      reject(new Error(`child ${child.pid} exited (${signal ?? code}) before its '${replyType}' reply`));
    };
    const onMessage = (msg: ChildMessage | null | undefined) => {
      if (msg?.type === 'error') {
        done();
        reject(new Error(msg.message));
      } else if (msg?.type === replyType) {
        done();
        resolve(msg as T);
      }
    };
    if (child.exitCode !== null || child.signalCode !== null) {
      onExit(child.exitCode, child.signalCode);
      return;
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
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

const CLOCK_TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time a live process has used so far (user + system, all its threads; /proc/<pid>/stat fields 14 and 15), in ms. */
export function cpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields from after its closing parenthesis (field 3 onwards).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return NaN;
  }
}

/**
 * Starts counting the CPU of the given processes; the returned function stops and gives the ms
 * they used since. Sampled every 250 ms, so a process that died meanwhile counts up to its last sample.
 */
export function cpuMeter(pids: (number | undefined)[]): () => number {
  const start = pids.map(cpuMs);
  const last = [...start];
  const sample = () =>
    pids.forEach((pid, i) => {
      const ms = cpuMs(pid);
      if (Number.isFinite(ms)) last[i] = ms;
    });
  const timer = setInterval(sample, 250).unref();
  return () => {
    clearInterval(timer);
    sample();
    return last.reduce<number>((sum, ms, i) => sum + ms - start[i]!, 0);
  };
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

/**
 * Waits until `progress()` reaches `target`, for as long as it keeps moving: gives up after
 * `stallMs` without progress. Resolves with the last value (below `target` when it stalled).
 */
export async function untilReached(progress: () => Promise<number>, target: number, stallMs = 30_000, intervalMs = 50): Promise<number> {
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    const value = await progress();
    if (value >= target) return value;
    if (value !== last) {
      last = value;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > stallMs) return value;
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

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs one statement on a database and returns its rows. */
export async function query<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** A fresh database for `fn`, dropped afterwards; `migrated` gives it the app's schema (the real migrations). */
export async function withDatabase<T>(adminUrl: string, fn: (url: string) => Promise<T>, migrated = false): Promise<T> {
  const name = `bridge_bench_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
  await query(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    if (migrated) {
      const source = new DataSource({ type: 'postgres', url: url.toString(), migrations: MIGRATIONS, migrationsTransactionMode: 'each' });
      await source.initialize();
      try {
        await source.runMigrations();
      } finally {
        await source.destroy();
      }
    }
    return await fn(url.toString());
  } finally {
    await query(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}
