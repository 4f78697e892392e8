import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * Runs the real entry point (src/main.ts) in a child process, e.g. with APP_ROLE=worker, to
 * test several processes sharing one queue. Only the given variables (plus PATH) reach it.
 */
export function spawnBridge(env: Record<string, string | undefined>): ChildProcess & { output: () => string } {
  const root = join(__dirname, '..', '..');
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, TS_NODE_PROJECT: join(root, 'tsconfig.json'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20000)));
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
