/**
 * The incoming sections: signed `workflow-status` callbacks (each with its own X-Webhook-Id, as
 * docs/callbacks.md asks of n8n) against the bridge, a bare NestJS route, and a hand-written
 * node:http server doing the same work (bench/incoming-baseline.ts). Every answer must be 2xx,
 * and the database must hold exactly one execution, one idempotency row and one audit row per
 * accepted request.
 */
import autocannon from 'autocannon';
import { ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { ADMIN_DB, BRIDGE_NODE_OPTIONS, fail, log, options, REDIS_URL, rss, SECRET } from './context';
import { cpuMeter, forkTs, freePort, peakRssMb, query, round, stop, untilReached, waitReady, withDatabase } from './support';

const PATH = '/api/v1/webhooks/n8n/workflow-status';
const WORKFLOW = 'wf-bench';

/** Per connection: the request in flight (autocannon keeps one context per connection and sends one request at a time). */
interface InFlight {
  key?: string;
  execution?: string;
}

interface Load {
  result: autocannon.Result;
  /** X-Webhook-Id → execution id of every request sent. */
  sent: Map<string, string>;
  /** X-Webhook-Id of every request answered 2xx. */
  accepted: string[];
  cpuMs: number;
}

/** `connections` clients for `incomingSeconds`, each request a new execution with its own key, signed when `sign`. */
async function load(url: string, path: string, sign: boolean, pid: number | undefined): Promise<Load> {
  const sent = new Map<string, string>();
  const accepted: string[] = [];
  const meter = cpuMeter([pid]);
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.incomingSeconds,
    requests: [
      {
        method: 'POST',
        path,
        setupRequest: (req, context: InFlight) => {
          const key = randomUUID();
          const execution = randomUUID();
          sent.set(key, execution);
          context.key = key;
          context.execution = execution;
          const raw = JSON.stringify({
            workflow_id: WORKFLOW,
            execution_id: execution,
            status: 'running',
            progress: Math.floor(Math.random() * 100),
            step: 'Render demo',
          });
          const headers: Record<string, string> = { 'content-type': 'application/json', 'x-webhook-id': key };
          if (sign) {
            const ts = String(Math.floor(Date.now() / 1000));
            headers['x-webhook-timestamp'] = ts;
            headers['x-webhook-signature-256'] = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${raw}`).digest('hex')}`;
          }
          return { ...req, headers, body: raw };
        },
        onResponse: (status, _body, context: InFlight) => {
          if (status >= 200 && status < 300 && context.key) accepted.push(context.key);
        },
      },
    ],
  });
  return { result, sent, accepted, cpuMs: meter() };
}

function summary(section: string, load: Load) {
  const { result } = load;
  const errors = result.errors + result.timeouts;
  if (result.non2xx) fail(section, `${result.non2xx} answers were not 2xx`);
  if (errors) fail(section, `${errors} requests failed (connection errors or timeouts)`);
  return {
    requests_per_s: Math.round(result.requests.average),
    p99_ms: result.latency.p99,
    accepted: load.accepted.length,
    non_2xx: result.non2xx,
    errors,
    cpu_ms_per_request: load.accepted.length ? round(load.cpuMs / load.accepted.length, 3) : NaN,
  };
}

/**
 * One execution, one idempotency row and one incoming audit row per accepted request, and none
 * for a request never sent. Requests still in flight when the load stopped (sent, unanswered)
 * may have been applied: at most one row each. Audit rows may be written after the answer: the
 * count is awaited for as long as it moves.
 */
async function checkRows(section: string, databaseUrl: string, load: Load) {
  const keys = load.accepted;
  const executions = keys.map((k) => load.sent.get(k)!);
  const count = async (sql: string, params: unknown[]) => (await query<{ n: number }>(databaseUrl, sql, params))[0]!.n;
  const audited = () =>
    count(`SELECT count(*)::int AS n FROM webhook_logs WHERE direction = 'incoming' AND delivery_id = ANY($1::text[])`, [keys]);
  await untilReached(audited, keys.length, 10_000, 100);
  const rows = {
    executions: await count(`SELECT count(*)::int AS n FROM workflow_executions WHERE execution_id = ANY($1::text[])`, [executions]),
    idempotency: await count(`SELECT count(*)::int AS n FROM webhook_callbacks WHERE idempotency_key = ANY($1::text[])`, [keys]),
    audit: await audited(),
  };
  for (const [table, n] of Object.entries(rows))
    if (n !== keys.length) fail(section, `${table}: ${n} rows for ${keys.length} accepted requests`);
  const unanswered = load.sent.size - keys.length;
  const totals = {
    executions: await count(`SELECT count(*)::int AS n FROM workflow_executions WHERE workflow_id = $1`, [WORKFLOW]),
    idempotency: await count(`SELECT count(*)::int AS n FROM webhook_callbacks WHERE endpoint = 'workflow-status'`, []),
    audit: await count(`SELECT count(*)::int AS n FROM webhook_logs WHERE direction = 'incoming'`, []),
  };
  for (const [table, n] of Object.entries(totals))
    if (n < keys.length || n > keys.length + unanswered)
      fail(section, `${table}: ${n} rows in all for ${keys.length} accepted and ${unanswered} unanswered requests`);
  const repeated = await count(
    `SELECT count(*)::int AS n FROM (SELECT delivery_id FROM webhook_logs WHERE direction = 'incoming' GROUP BY delivery_id HAVING count(*) > 1) d`,
    [],
  );
  if (repeated) fail(section, `${repeated} requests have more than one audit row`);
  return { ...rows, unanswered_at_stop: unanswered };
}

/** The bridge's signed route, then the bare NestJS route (no signature, no database). */
export async function incoming(bridgePort: number, databaseUrl: string, bridgePid: number | undefined) {
  const bridgeLoad = await load(`http://127.0.0.1:${bridgePort}`, PATH, true, bridgePid);
  const bridge = { ...summary('incoming', bridgeLoad), rows: await checkRows('incoming', databaseUrl, bridgeLoad) };
  const barePort = await freePort();
  const bare = forkTs('bench/bare-nest.ts', { PORT: String(barePort), NODE_ENV: 'production' });
  await waitReady(bare);
  const bareLoad = await load(`http://127.0.0.1:${barePort}`, '/callback', false, bare.pid);
  rss.bare_nest = peakRssMb(bare.pid);
  await stop(bare);
  const result = {
    bridge,
    bare_nest: summary('incoming (bare NestJS)', bareLoad),
    ratio: round(bridgeLoad.result.requests.average / bareLoad.result.requests.average, 2),
  };
  log(`incoming: ${JSON.stringify(result)}`);
  return result;
}

/** The hand-written node:http server on its own database (the app's migrations), same load, same row checks. */
export async function incomingBaseline() {
  return withDatabase(
    ADMIN_DB,
    async (databaseUrl) => {
      const port = await freePort();
      const server: ChildProcess = forkTs('bench/incoming-baseline.ts', {
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        REDIS_URL,
        WEBHOOK_SECRET: SECRET,
        PREFIX: `bench-in-${randomBytes(4).toString('hex')}`,
        NODE_OPTIONS: BRIDGE_NODE_OPTIONS,
      });
      await waitReady(server);
      try {
        const baseLoad = await load(`http://127.0.0.1:${port}`, PATH, true, server.pid);
        rss.incoming_baseline = peakRssMb(server.pid);
        const result = { ...summary('incoming-baseline', baseLoad), rows: await checkRows('incoming-baseline', databaseUrl, baseLoad) };
        log(`incoming-baseline: ${JSON.stringify(result)}`);
        return result;
      } finally {
        await stop(server);
      }
    },
    true,
  );
}
