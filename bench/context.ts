/** What every section of `npm run bench` shares: the options, the run's secrets and settings, the results and the failures. */
import { randomBytes } from 'node:crypto';

export const SECTIONS = [
  'outgoing',
  'latency',
  'single',
  'baseline',
  'incoming',
  'incoming-baseline',
  'fanout',
  'ordered',
  'rest',
  'scaleout',
  'partitions',
];

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const value = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} takes a positive number`);
  return value;
};
const text = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

/** What a section's comparison needs in the same run: outgoing is compared with the bare pipeline, fan-out with outgoing… */
const NEEDS: Record<string, string[]> = {
  outgoing: ['baseline'],
  fanout: ['outgoing'],
  rest: ['baseline'],
  incoming: ['incoming-baseline'],
  'incoming-baseline': ['incoming'],
};

const only = (() => {
  const asked = text('only')?.split(',');
  if (!asked) return undefined;
  const unknown = asked.filter((s) => !SECTIONS.includes(s));
  if (unknown.length) throw new Error(`--only: unknown section(s) ${unknown.join(', ')} (known: ${SECTIONS.join(', ')})`);
  const all = new Set(asked);
  for (const name of all) for (const need of NEEDS[name] ?? []) all.add(need);
  return all;
})();

export const options = {
  /** Events of the outgoing, baseline, scale-out and partitions sections. */
  events: arg('events', 10000),
  rate: arg('rate', 500),
  seconds: arg('seconds', 10),
  incomingSeconds: arg('incoming-seconds', 10),
  connections: arg('connections', 50),
  singleEvents: arg('single-events', 4000),
  singleConcurrency: arg('single-concurrency', 32),
  fanoutEvents: arg('fanout-events', 4000),
  orderedEvents: arg('ordered-events', 4000),
  entities: arg('entities', 500),
  orderedConcurrency: arg('ordered-concurrency', 32),
  restLeads: arg('rest-leads', 4000),
  restClients: arg('rest-clients', 32),
  /** Delivery queue partitions of the partitions section's second run (the first has 1). */
  partitions: arg('partitions', 6),
  /** Writes the results there as JSON, and the plots beside it (same name, .svg). */
  json: text('json'),
};

export const runs = (section: string) => !only || only.has(section);

export const ADMIN_DB = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** WEBHOOK_SECRET of every bridge of the run: the built-in subscription signs with it, n8n's callbacks are signed with it. */
export const SECRET = randomBytes(32).toString('hex');
export const ADMIN_TOKEN = randomBytes(24).toString('hex');
/** One key for the run: processes sharing a database (scale-out) must open each other's subscription secrets. */
const ENCRYPTION_KEY = randomBytes(32).toString('hex');

export const results: Record<string, unknown> = {};
export const rss: Record<string, number | null> = {};
/** Per throughput section: the CPU used by the bridge process(es) (or the baseline's) per event delivered. */
export const cpu: Record<string, { cpu_ms: number; events: number; ms_per_event: number }> = {};
/** What makes the run fail: a lost or unexpected delivery, a bad signature, a wrong row count, a dead process… */
export const failures: string[] = [];

/** Series kept for the plots: commit → receipt delays (ms, sorted) and deliveries per time slot. */
export const plots: {
  latency?: number[];
  baselineLatency?: number[];
  throughput: Record<string, { slotMs: number; counts: number[] }>;
} = { throughput: {} };

export const log = (line: string) => process.stderr.write(`${line}\n`);

export function fail(section: string, problem: string): void {
  failures.push(`${section}: ${problem}`);
  log(`FAIL ${section}: ${problem}`);
}

/** Node flags of the bridge processes: as shipped (Dockerfile, npm start, start-local.sh) unless BENCH_BRIDGE_NODE_OPTIONS says otherwise. */
export const BRIDGE_NODE_OPTIONS = process.env.BENCH_BRIDGE_NODE_OPTIONS ?? '--max-old-space-size=256 --max-semi-space-size=16';

/** The environment of a bridge process of this run. */
export function bridgeEnv(databaseUrl: string, receiverUrl: string, prefix: string, port: number, role: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    APP_ROLE: role,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    N8N_BASE_URL: receiverUrl,
    // The ordered section's events (lead_qualified, lead_responded) go to its own subscriptions only.
    N8N_DISABLED_EVENTS: 'lead_qualified,lead_responded',
    WEBHOOK_SECRET: SECRET,
    ADMIN_TOKEN,
    SECRETS_ENCRYPTION_KEY: ENCRYPTION_KEY,
    WEBHOOK_CONCURRENCY: '50',
    INCOMING_RATE_LIMIT_PER_MINUTE: '1000000',
    NODE_OPTIONS: BRIDGE_NODE_OPTIONS,
  };
}
