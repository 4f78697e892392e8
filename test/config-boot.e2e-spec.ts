import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { TestReceiver } from './support/receiver';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { deleteRedisPrefix, TEST_ADMIN_TOKEN, TEST_REDIS_URL } from './support/test-app';
import { waitFor } from './support/wait';

const ROOT = join(__dirname, '..');
/** The real entry point, compiled on the fly (type checks are `npm run typecheck`'s job): boots in ~2 s. */
const ENTRY = ['-r', 'ts-node/register/transpile-only', 'src/main.ts'];
const EXIT_DEADLINE_MS = 10_000;
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;
/** How long the receiver holds its answer to a delivery, so that SIGTERM arrives while it is in flight. */
const HOLD_MS = 1500;

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

/** The outgoing events recorded for an entity, read straight from the database the process used. */
async function deliveriesOf(databaseUrl: string, entityId: string) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT event_type, status, attempts, last_status_code FROM webhook_queue WHERE entity_id = $1 ORDER BY created_at`,
      [entityId],
    );
    return rows;
  } finally {
    await client.end();
  }
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

    it('serves /health/live; on SIGTERM it finishes and records the delivery in flight, then exits (control for the refusals above)', async () => {
      // The receiver holds its answer: SIGTERM arrives while the delivery is in flight.
      const receiver = await new TestReceiver().start();
      receiver.respondWith(() => ({ status: 200, delayMs: HOLD_MS }));
      try {
        const port = await freePort();
        const run = startEntryPoint({
          NODE_ENV: 'test',
          PORT: String(port),
          LOG_LEVEL: 'silent',
          DATABASE_URL: db.url,
          REDIS_URL: TEST_REDIS_URL,
          QUEUE_PREFIX: queuePrefix,
          N8N_BASE_URL: receiver.url,
          ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        });
        let leadId: string;
        try {
          const res = await waitForHttp(`http://127.0.0.1:${port}/health/live`, run, 30_000);
          expect(res.status).toBe(200);
          const created = await fetch(`http://127.0.0.1:${port}/api/v1/leads`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
            body: JSON.stringify({ title: 'Bakery in Lille', url: `https://ads.example/${queuePrefix}` }),
          });
          expect(created.status).toBe(201);
          leadId = ((await created.json()) as { id: string }).id;
          await waitFor(() => receiver.forEntity(leadId).length > 0, { timeoutMs: 20_000, what: 'the lead_scraped delivery in flight' });
        } finally {
          run.child.kill('SIGTERM');
        }
        const { code, signal } = await exitWithin(run, EXIT_DEADLINE_MS);
        // Nest re-raises the SIGTERM it handled, so a graceful exit reports what an abrupt death would:
        // what tells them apart is what the process did before exiting.
        expect([
          { code: 0, signal: null },
          { code: null, signal: 'SIGTERM' },
        ]).toContainEqual({ code, signal });
        expect(run.output.stderr).toBe('');
        // It waited for the receiver's answer and wrote the outcome before closing the database.
        expect(await deliveriesOf(db.url, leadId)).toEqual([
          { event_type: 'lead_scraped', status: 'sent', attempts: 1, last_status_code: 200 },
        ]);
        expect(receiver.forEntity(leadId)).toHaveLength(1);
      } finally {
        await receiver.stop();
      }
    });
  });
});
