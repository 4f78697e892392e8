import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { deleteRedisPrefix, TEST_REDIS_URL } from './support/test-app';

const ROOT = join(__dirname, '..');
/** The real entry point, compiled on the fly (type checks are `npm run typecheck`'s job): boots in ~2 s. */
const ENTRY = ['-r', 'ts-node/register/transpile-only', 'src/main.ts'];
const EXIT_DEADLINE_MS = 10_000;
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

interface Run {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; elapsedMs: number }>;
}

/** Starts `src/main.ts` with only the given environment (plus PATH/HOME), as an operator would. */
function startEntryPoint(env: Record<string, string>): Run {
  const started = Date.now();
  const child = spawn(process.execPath, ENTRY, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    elapsedMs: Date.now() - started,
  }));
  return { child, output, exited };
}

/** Waits for the child to exit, killing it (and failing) if it is still running at the deadline. */
async function exitWithin(run: Run, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      run.child.kill('SIGKILL');
      reject(new Error(`still running after ${ms} ms; stderr: ${run.output.stderr}`));
    }, ms);
  });
  try {
    return await Promise.race([run.exited, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function waitForHttp(url: string, run: Run, ms: number): Promise<Response> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (run.child.exitCode !== null) throw new Error(`exited early (${run.child.exitCode}); stderr: ${run.output.stderr}`);
    const res = await fetch(url).catch(() => undefined);
    if (res) return res;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer within ${ms} ms; stderr: ${run.output.stderr}`);
}

describe('booting the real entry point', () => {
  it('PORT=abc: exits 1 within seconds, naming PORT, without a stack trace', async () => {
    const run = startEntryPoint({ NODE_ENV: 'development', PORT: 'abc' });
    const { code, elapsedMs } = await exitWithin(run, EXIT_DEADLINE_MS);
    expect(code).toBe(1);
    expect(elapsedMs).toBeLessThan(EXIT_DEADLINE_MS);
    expect(run.output.stderr).toContain('Refusing to start: invalid configuration');
    expect(run.output.stderr).toMatch(/^\s+PORT: must be an integer from 0 to 65535 \(got "abc"\)$/m);
    expect(run.output.stderr).not.toMatch(STACK_FRAME);
    expect(run.output.stdout).toBe('');
  });

  it('NODE_ENV=production without WEBHOOK_SECRET: exits 1 naming WEBHOOK_SECRET and ADMIN_TOKEN', async () => {
    const run = startEntryPoint({ NODE_ENV: 'production' });
    const { code } = await exitWithin(run, EXIT_DEADLINE_MS);
    expect(code).toBe(1);
    expect(run.output.stderr).toMatch(/^\s+WEBHOOK_SECRET: required in production/m);
    expect(run.output.stderr).toMatch(/^\s+ADMIN_TOKEN: required in production/m);
    expect(run.output.stderr).not.toMatch(STACK_FRAME);
  });

  it('NODE_ENV=production with weak secrets: exits 1 and never prints the secret values', async () => {
    const weakSecret = 'weak-signing-key-91';
    const adminToken = 'adm1n-t0ken-9f8e7d6c5b4a3f2e1d0c';
    const run = startEntryPoint({
      NODE_ENV: 'production',
      WEBHOOK_SECRET: weakSecret,
      ADMIN_TOKEN: adminToken,
      WEBHOOK_TEST_ENDPOINT_ENABLED: 'true',
    });
    const { code } = await exitWithin(run, EXIT_DEADLINE_MS);
    expect(code).toBe(1);
    expect(run.output.stderr).toMatch(/^\s+WEBHOOK_SECRET: too short for production/m);
    expect(run.output.stderr).toMatch(/^\s+WEBHOOK_TEST_ENDPOINT_ENABLED: /m);
    expect(run.output.stderr + run.output.stdout).not.toContain(weakSecret);
    expect(run.output.stderr + run.output.stdout).not.toContain(adminToken);
    expect(run.output.stderr).not.toMatch(STACK_FRAME);
  });

  describe('with a valid configuration', () => {
    let db: TestDatabase;
    const queuePrefix = `test-boot-${process.pid}-${Date.now().toString(36)}`;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(async () => {
      await (db as TestDatabase | undefined)?.drop();
      await deleteRedisPrefix(queuePrefix);
    });

    it('serves /health/live, then stops on SIGTERM (control for the refusals above)', async () => {
      const port = await freePort();
      const run = startEntryPoint({
        NODE_ENV: 'test',
        PORT: String(port),
        LOG_LEVEL: 'silent',
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: queuePrefix,
        N8N_BASE_URL: 'http://127.0.0.1:9',
      });
      try {
        const res = await waitForHttp(`http://127.0.0.1:${port}/health/live`, run, 30_000);
        expect(res.status).toBe(200);
      } finally {
        run.child.kill('SIGTERM');
      }
      const { code, signal } = await exitWithin(run, EXIT_DEADLINE_MS);
      expect(code === 0 || signal === 'SIGTERM').toBe(true);
      expect(run.output.stderr).toBe('');
    });
  });
});
