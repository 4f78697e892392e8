/**
 * `npm run bench`: measures the bridge against the machine's own ceilings in one run, on the
 * local Postgres and Redis, with a loopback receiver standing in for n8n. Prints a table and a
 * JSON line. Options: --events N (20000) --rate R (500) --seconds S (20) --incoming-seconds S (10)
 * --connections C (50) --only outgoing,latency,baseline,incoming,scaleout
 */
import autocannon from 'autocannon';
import { ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Client } from 'pg';
import { ask, forkTs, peakRssMb, percentile, round, stop, until, waitReady } from './support';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const only = (() => {
  const i = process.argv.indexOf('--only');
  return i > 0 ? new Set(process.argv[i + 1]!.split(',')) : undefined;
})();
const runs = (section: string) => !only || only.has(section);

const N = arg('events', 20000);
const RATE = arg('rate', 500);
const SECONDS = arg('seconds', 20);
const INCOMING_SECONDS = arg('incoming-seconds', 10);
const CONNECTIONS = arg('connections', 50);
const ADMIN_DB = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = randomBytes(32).toString('hex');

const results: Record<string, unknown> = {};
/** The bridge's `audit` reply: row counts of its outbox and audit tables. */
type Audit = { sent: number; events: number; logs: number; history: number };
const rss: Record<string, number | null> = {};
const log = (line: string) => process.stderr.write(`${line}\n`);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: ADMIN_DB });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function withDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = `bridge_bench_${Date.now().toString(36)}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_DB);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

function bridgeEnv(databaseUrl: string, receiverUrl: string, prefix: string, port: number, role: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    APP_ROLE: role,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    N8N_BASE_URL: receiverUrl,
    WEBHOOK_SECRET: SECRET,
    ADMIN_TOKEN: randomBytes(24).toString('hex'),
    WEBHOOK_CONCURRENCY: '50',
    INCOMING_RATE_LIMIT_PER_MINUTE: '1000000',
    // As shipped (Dockerfile, npm start, start-local.sh); BENCH_BRIDGE_NODE_OPTIONS overrides it.
    NODE_OPTIONS: process.env.BENCH_BRIDGE_NODE_OPTIONS ?? '--max-old-space-size=256',
  };
}

async function receiverCount(receiver: ChildProcess): Promise<{ distinct: number; total: number }> {
  return ask(receiver, { type: 'count' }, 'count');
}

/** N events through TriggerService until every one is received and its audit rows are written. */
async function outgoing(bridge: ChildProcess, receiver: ChildProcess, label: string, alreadySent: number) {
  await ask(receiver, { type: 'reset' }, 'reset');
  const started = performance.now();
  const produced = await ask<{ ms: number }>(bridge, { type: 'produce', count: N, batch: 100, concurrency: 4 }, 'produced');
  await until(async () => (await receiverCount(receiver)).distinct >= N, 600_000);
  const receivedMs = performance.now() - started;
  await until(async () => {
    const audit = await ask<Audit>(bridge, { type: 'audit' }, 'audit');
    return audit.sent >= alreadySent + N && audit.logs >= alreadySent + N;
  }, 600_000);
  const auditedMs = performance.now() - started;
  const { distinct, total } = await receiverCount(receiver);
  const result = {
    events: N,
    produce_s: round(produced.ms / 1000, 2),
    end_to_end_s: round(auditedMs / 1000, 2),
    events_per_s: Math.round(N / (auditedMs / 1000)),
    received_per_s: Math.round(N / (receivedMs / 1000)),
    distinct_delivery_ids: distinct,
    duplicates: total - distinct,
  };
  log(`${label}: ${JSON.stringify(result)}`);
  await ask(bridge, { type: 'commits' }, 'commits');
  return result;
}

async function latency(bridge: ChildProcess, receiver: ChildProcess) {
  await ask(receiver, { type: 'reset' }, 'reset');
  const { sent } = await ask<{ sent: number }>(bridge, { type: 'produceAtRate', rate: RATE, durationMs: SECONDS * 1000 }, 'producedAtRate');
  await until(async () => (await receiverCount(receiver)).distinct >= sent, 120_000);
  const { commits } = await ask<{ commits: [string, number][] }>(bridge, { type: 'commits' }, 'commits');
  const { arrivals } = await ask<{ arrivals: [string, number][] }>(receiver, { type: 'arrivals' }, 'arrivals');
  const arrived = new Map(arrivals);
  const delays = commits
    .map(([id, at]) => (arrived.get(id) ?? NaN) - at)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const result = {
    rate_per_s: RATE,
    seconds: SECONDS,
    events: sent,
    p50_ms: round(percentile(delays, 50)),
    p99_ms: round(percentile(delays, 99)),
    max_ms: round(delays[delays.length - 1]!),
  };
  log(`latency: ${JSON.stringify(result)}`);
  return result;
}

async function baseline(receiver: ChildProcess, receiverUrl: string) {
  const child = forkTs('bench/baseline-pipeline.ts', {
    TARGET_URL: `${receiverUrl}/webhook/lead-scraped`,
    REDIS_URL,
    PREFIX: `bench-base-${randomBytes(4).toString('hex')}`,
    CONCURRENCY: '50',
  });
  await waitReady(child);
  await ask(receiver, { type: 'reset' }, 'reset');
  const started = performance.now();
  await ask(child, { type: 'run', count: N }, 'enqueued');
  await until(async () => (await receiverCount(receiver)).distinct >= N, 600_000);
  const ms = performance.now() - started;
  rss.baseline_pipeline = peakRssMb(child.pid);
  await stop(child);
  const result = { events: N, seconds: round(ms / 1000, 2), events_per_s: Math.round(N / (ms / 1000)) };
  log(`baseline: ${JSON.stringify(result)}`);
  return result;
}

function load(url: string, path: string, body: () => string, sign: boolean) {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: INCOMING_SECONDS,
    requests: [
      {
        method: 'POST',
        path,
        setupRequest: (req) => {
          const raw = body();
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (sign) {
            const ts = String(Math.floor(Date.now() / 1000));
            headers['x-webhook-timestamp'] = ts;
            headers['x-webhook-signature-256'] = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${raw}`).digest('hex')}`;
          }
          return { ...req, headers, body: raw };
        },
      },
    ],
  });
}

const statusBody = () =>
  JSON.stringify({
    workflow_id: 'wf-bench',
    execution_id: randomUUID(),
    status: 'running',
    progress: Math.floor(Math.random() * 100),
    step: 'Render demo',
  });

async function incoming(bridgePort: number) {
  const bridge = await load(`http://127.0.0.1:${bridgePort}`, '/api/v1/webhooks/n8n/workflow-status', statusBody, true);
  const barePort = await freePort();
  const bare = forkTs('bench/bare-nest.ts', { PORT: String(barePort), NODE_ENV: 'production' });
  await waitReady(bare);
  const base = await load(`http://127.0.0.1:${barePort}`, '/callback', statusBody, false);
  rss.bare_nest = peakRssMb(bare.pid);
  await stop(bare);
  const summary = (r: autocannon.Result) => ({
    requests_per_s: Math.round(r.requests.average),
    p99_ms: r.latency.p99,
    non_2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  });
  const result = { bridge: summary(bridge), bare_nest: summary(base), ratio: round(bridge.requests.average / base.requests.average, 2) };
  log(`incoming: ${JSON.stringify(result)}`);
  return result;
}

async function main(): Promise<void> {
  const receiver = forkTs('bench/receiver.ts');
  const { port: receiverPort } = await waitReady<{ port: number }>(receiver);
  const receiverUrl = `http://127.0.0.1:${receiverPort}`;
  try {
    if (runs('outgoing') || runs('latency') || runs('incoming'))
      await withDatabase(async (databaseUrl) => {
        const port = await freePort();
        const bridge = forkTs(
          'bench/bridge.ts',
          bridgeEnv(databaseUrl, receiverUrl, `bench-${randomBytes(4).toString('hex')}`, port, 'all'),
        );
        await waitReady(bridge);
        try {
          await ask(bridge, { type: 'produce', count: 500, batch: 100, concurrency: 2 }, 'produced'); // warm-up
          await until(async () => (await ask<Audit>(bridge, { type: 'audit' }, 'audit')).sent >= 500, 60_000);
          await ask(bridge, { type: 'commits' }, 'commits');
          if (runs('outgoing')) results.outgoing = await outgoing(bridge, receiver, 'outgoing', 500);
          if (runs('latency')) results.latency = await latency(bridge, receiver);
          if (runs('incoming')) results.incoming = await incoming(port);
          rss.bridge_all = peakRssMb(bridge.pid);
        } finally {
          await stop(bridge);
        }
      });
    if (runs('baseline') || runs('outgoing')) results.baseline = await baseline(receiver, receiverUrl);
    if (runs('scaleout'))
      await withDatabase(async (databaseUrl) => {
        const prefix = `bench-${randomBytes(4).toString('hex')}`;
        const api = forkTs('bench/bridge.ts', bridgeEnv(databaseUrl, receiverUrl, prefix, await freePort(), 'api'));
        await waitReady(api);
        const workers = [0, 1].map(() =>
          forkTs('src/main.ts', { ...bridgeEnv(databaseUrl, receiverUrl, prefix, 0, 'worker'), DB_MIGRATIONS_RUN: 'false' }),
        );
        try {
          await new Promise((r) => setTimeout(r, 3000)); // let both workers connect
          results.scale_out = { ...(await outgoing(api, receiver, 'scale-out (1 api + 2 workers)', 0)), processes: '1 api + 2 workers' };
          rss.scaleout_api = peakRssMb(api.pid);
          workers.forEach((w, i) => (rss[`scaleout_worker_${i + 1}`] = peakRssMb(w.pid)));
        } finally {
          await Promise.all([...workers, api].map((c) => stop(c)));
        }
      });
    rss.receiver = peakRssMb(receiver.pid);
    rss.orchestrator = peakRssMb(process.pid);
    results.peak_rss_mb = rss;
    const out = results.outgoing as { events_per_s: number } | undefined;
    const base = results.baseline as { events_per_s: number } | undefined;
    if (out && base) results.outgoing_vs_baseline = round(out.events_per_s / base.events_per_s, 2);
    print();
  } finally {
    await stop(receiver);
  }
}

function print(): void {
  const o = results.outgoing as Awaited<ReturnType<typeof outgoing>> | undefined;
  const l = results.latency as Awaited<ReturnType<typeof latency>> | undefined;
  const b = results.baseline as Awaited<ReturnType<typeof baseline>> | undefined;
  const i = results.incoming as Awaited<ReturnType<typeof incoming>> | undefined;
  const s = results.scale_out as Awaited<ReturnType<typeof outgoing>> | undefined;
  const rows: [string, string, string][] = [];
  if (o)
    rows.push([
      'outgoing end to end (with audit)',
      `${o.events_per_s} events/s`,
      `${o.distinct_delivery_ids}/${o.events} distinct, ${o.duplicates} duplicates`,
    ]);
  if (b)
    rows.push([
      'baseline: bare BullMQ + undici',
      `${b.events_per_s} events/s`,
      o ? `bridge/baseline = ${results.outgoing_vs_baseline as number}` : '',
    ]);
  if (l) rows.push([`latency at ${l.rate_per_s}/s for ${l.seconds}s`, `p50 ${l.p50_ms} ms, p99 ${l.p99_ms} ms`, `max ${l.max_ms} ms`]);
  if (i)
    rows.push([
      'incoming signed workflow-status',
      `${i.bridge.requests_per_s} req/s, p99 ${i.bridge.p99_ms} ms`,
      `${i.bridge.non_2xx} non-2xx, ${i.bridge.errors} errors`,
    ]);
  if (i)
    rows.push([
      'baseline: bare NestJS route',
      `${i.bare_nest.requests_per_s} req/s, p99 ${i.bare_nest.p99_ms} ms`,
      `bridge/bare = ${i.ratio}`,
    ]);
  if (s)
    rows.push([
      'scale-out: 1 api + 2 workers',
      `${s.events_per_s} events/s`,
      `${s.distinct_delivery_ids}/${s.events} distinct, ${s.duplicates} duplicates`,
    ]);
  rows.push([
    'peak RSS (MB)',
    Object.entries(rss)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
    '',
  ]);
  const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => `| ${r.map((c, k) => c.padEnd(w[k]!)).join(' | ')} |`;
  console.log(line(['measure', 'result', 'notes']));
  console.log(`|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`);
  rows.forEach((r) => console.log(line(r)));
  console.log(JSON.stringify({ bench: 'n8n-webhook-bridge', at: new Date().toISOString(), ...results }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
