/** The run's table (CPU per delivered event first), its JSON line, and with --json the file and its plots. */
import { writeFileSync } from 'node:fs';
import { cpu, failures, options, plots, results, rss } from './context';
import { describeChecks, RouteCheck } from './deliveries';
import type { DeliveryResult } from './delivery-run';
import { plotSvg } from './plot';
import { round } from './support';

type Row = [string, string, string];

/** What the partitions section reports per run (bench/partitions.ts). */
interface PartitionRun extends DeliveryResult {
  partitions: number;
  worker_deaths: number;
  loadavg_before: string;
  cpu_ms_per_event_by_process: Record<string, number | null>;
  redis: { commands_per_event: number | null; own_server: boolean };
  postgres: {
    rows_written_per_event: number | null;
    wal_bytes_per_event_database: number | null;
    wal_bytes_per_event_server: number | null;
  };
  audit_bytes_per_event: number | null;
  jobs_completed_per_partition: number[];
}

interface Incoming {
  requests_per_s: number;
  p99_ms: number;
  accepted: number;
  non_2xx: number;
  errors: number;
  cpu_ms_per_request: number;
  rows?: { executions: number; idempotency: number; audit: number; unanswered_at_stop: number };
}
type Ordered = DeliveryResult & { inversions: number; entities_out_of_order: number; entities: number; p50_ms: number; p99_ms: number };

const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? round(a / b, 2) : undefined);

/** Ratios between sections of this run, added to the results. */
function compare(): void {
  const out = results.outgoing as DeliveryResult | undefined;
  const base = results.baseline as { events_per_s: number; cpu_ms_per_event: number } | undefined;
  const fan = results.fanout as DeliveryResult | undefined;
  const rest = results.rest as { events_per_s: number } | undefined;
  const inc = results.incoming as { bridge: Incoming } | undefined;
  const incBase = results.incoming_baseline as Incoming | undefined;
  results.outgoing_vs_baseline = ratio(out?.events_per_s, base?.events_per_s);
  results.fanout_vs_outgoing = ratio(fan?.events_per_s, out?.events_per_s);
  results.rest_vs_baseline = ratio(rest?.events_per_s, base?.events_per_s);
  results.incoming_vs_baseline = ratio(inc?.bridge.requests_per_s, incBase?.requests_per_s);
  results.cpu_per_event = {
    bridge_outgoing_ms: cpu.outgoing?.ms_per_event,
    baseline_ms: cpu.baseline?.ms_per_event,
    bridge_vs_baseline: ratio(cpu.outgoing?.ms_per_event, cpu.baseline?.ms_per_event),
    sections: Object.fromEntries(
      Object.entries(cpu).map(([k, v]) => [k, { ...v, vs_baseline: ratio(v.ms_per_event, cpu.baseline?.ms_per_event) }]),
    ),
  };
}

function rows(): Row[] {
  const out = results.outgoing as DeliveryResult | undefined;
  const base = results.baseline as
    | {
        events_per_s: number;
        routes: RouteCheck[];
        latency?: { p50_ms: number; p99_ms: number; p999_ms: number; max_ms: number; lost: number };
      }
    | undefined;
  const lat = results.latency as
    | {
        rate_per_s: number;
        seconds: number;
        events: number;
        lost: number;
        p50_ms: number;
        p99_ms: number;
        p999_ms: number;
        max_ms: number;
        warm_up: { events: number; p99_ms: number; max_ms: number };
      }
    | undefined;
  const one = results.single as (DeliveryResult & { in_flight: number }) | undefined;
  const fan = results.fanout as (DeliveryResult & { subscriptions: number; created_via: string }) | undefined;
  const ord = results.ordered as
    { entities: number; in_flight: number; per_entity: Ordered; none: Ordered; per_entity_vs_none: number } | undefined;
  const rest = results.rest as
    | {
        leads: number;
        clients: number;
        created: number;
        creates_per_s: number;
        events_per_s: number;
        leads_missing: number;
        postgres_cpu_ms_per_event: number;
        routes: RouteCheck[];
      }
    | undefined;
  const inc = results.incoming as { bridge: Incoming; bare_nest: Incoming; ratio: number } | undefined;
  const incBase = results.incoming_baseline as Incoming | undefined;
  const scale = results.scale_out as (DeliveryResult & { worker_deaths: number }) | undefined;
  const ms = (section: string) => (cpu[section] ? `, ${cpu[section].ms_per_event} ms CPU/event` : '');
  const table: Row[] = [];
  // The lead figure: the outgoing section (same producer as the baseline: batches of 100), else the first bridge section that ran.
  const lead = ['outgoing', 'single', 'rest', 'scaleout', 'fanout', 'latency'].find((k) => cpu[k]);
  if (lead || cpu.baseline) {
    const bridgeMs = lead ? cpu[lead]!.ms_per_event : undefined;
    const cpuRatio = ratio(bridgeMs, cpu.baseline?.ms_per_event);
    table.push([
      'CPU per delivered event',
      `bridge ${bridgeMs ?? '-'} ms vs bare baseline ${cpu.baseline?.ms_per_event ?? '-'} ms`,
      `${cpuRatio !== undefined ? `bridge/baseline = ${cpuRatio} ` : ''}(${lead ?? 'no bridge'} section; bridge process(es) vs baseline process)`,
    ]);
  }
  const bySection = Object.entries(cpu).map(([k, v]) => {
    const times = k === 'baseline' ? undefined : ratio(v.ms_per_event, cpu.baseline?.ms_per_event);
    return `${k} ${v.ms_per_event}${times !== undefined ? ` (${times}x)` : ''}`;
  });
  if (bySection.length) table.push(['CPU ms per event, by section', bySection.join(', '), cpu.baseline ? '(n x baseline)' : '']);
  if (out)
    table.push(['outgoing end to end (with audit)', `${out.events_per_s} events/s`, `${describeChecks(out.routes)}, ${out.events} events`]);
  if (base)
    table.push([
      'baseline: bare BullMQ + undici',
      `${base.events_per_s} events/s`,
      `${results.outgoing_vs_baseline !== undefined ? `bridge/baseline = ${results.outgoing_vs_baseline as number}; ` : ''}${describeChecks(base.routes)}`,
    ]);
  if (lat)
    table.push([
      `latency at ${lat.rate_per_s}/s for ${lat.seconds}s`,
      `p50 ${lat.p50_ms} ms, p99 ${lat.p99_ms} ms, p99.9 ${lat.p999_ms} ms`,
      `max ${lat.max_ms} ms, ${lat.lost} of ${lat.events} lost${ms('latency')}; after 2 s of warm-up (p99 ${lat.warm_up.p99_ms} ms, max ${lat.warm_up.max_ms} ms)`,
    ]);
  if (base?.latency)
    table.push([
      `baseline latency at ${lat?.rate_per_s ?? options.rate}/s`,
      `p50 ${base.latency.p50_ms} ms, p99 ${base.latency.p99_ms} ms, p99.9 ${base.latency.p999_ms} ms`,
      `max ${base.latency.max_ms} ms, ${base.latency.lost} lost`,
    ]);
  if (one)
    table.push([
      `single: 1 event/transaction, ${one.in_flight} in flight`,
      `${one.events_per_s} events/s`,
      `${describeChecks(one.routes)}${ms('single')}`,
    ]);
  if (fan)
    table.push([
      `fan-out: ${fan.subscriptions} subscriptions (${fan.created_via})`,
      `${fan.events_per_s} events/s, ${fan.deliveries_per_s} deliveries/s`,
      `${results.fanout_vs_outgoing !== undefined ? `vs outgoing = ${results.fanout_vs_outgoing as number}; ` : ''}${describeChecks(fan.routes)}${ms('fanout')}`,
    ]);
  if (ord) {
    const o = ord.per_entity;
    const n = ord.none;
    table.push([
      `ordered per_entity, ${o.events} events over ${ord.entities} leads`,
      `${o.deliveries_per_s} deliveries/s, p50 ${o.p50_ms} ms, p99 ${o.p99_ms} ms`,
      `${o.inversions} inversions; ${describeChecks(o.routes)}${ms('ordered (per_entity)')}`,
    ]);
    table.push([
      'ordered none (same events)',
      `${n.deliveries_per_s} deliveries/s, p50 ${n.p50_ms} ms, p99 ${n.p99_ms} ms`,
      `per_entity/none = ${ord.per_entity_vs_none}; ${n.inversions} out-of-order receipts (allowed); ${describeChecks(n.routes)}`,
    ]);
  }
  if (rest)
    table.push([
      `rest: POST /api/v1/leads, ${rest.clients} clients`,
      `${rest.creates_per_s} creates/s, ${rest.events_per_s} events/s end to end`,
      `${results.rest_vs_baseline !== undefined ? `vs baseline = ${results.rest_vs_baseline as number}; ` : ''}${rest.created}/${rest.leads} created, ${rest.leads_missing} missing${ms('rest')} (Postgres backends ${rest.postgres_cpu_ms_per_event} ms)`,
    ]);
  const incomingRow = (label: string, i: Incoming, note: string): Row => [
    label,
    `${i.requests_per_s} req/s, p99 ${i.p99_ms} ms`,
    `${note}${i.non_2xx} non-2xx, ${i.errors} errors${i.rows ? `, rows ${i.rows.executions}/${i.rows.idempotency}/${i.rows.audit} for ${i.accepted}` : ''}, ${i.cpu_ms_per_request} ms CPU/req`,
  ];
  if (inc) table.push(incomingRow('incoming signed workflow-status', inc.bridge, ''));
  if (incBase)
    table.push(
      incomingRow(
        'baseline: hand-written node:http + pg',
        incBase,
        results.incoming_vs_baseline !== undefined ? `bridge/baseline = ${results.incoming_vs_baseline as number}; ` : '',
      ),
    );
  if (inc) table.push(incomingRow('baseline: bare NestJS route', inc.bare_nest, `bridge/bare = ${inc.ratio}; `));
  if (scale)
    table.push([
      'scale-out: 1 api + 2 workers',
      `${scale.events_per_s} events/s`,
      `${describeChecks(scale.routes)}, ${scale.worker_deaths} worker deaths${ms('scaleout')}`,
    ]);
  const parts = results.partitions as { runs: PartitionRun[] } | undefined;
  for (const p of parts?.runs ?? []) {
    const by = p.cpu_ms_per_event_by_process;
    table.push([
      `partitions ${p.partitions}: 1 api + 2 workers (load ${p.loadavg_before})`,
      `${p.events_per_s} events/s, ${p.cpu_ms_per_event} ms CPU/event`,
      `CPU ms/event api ${by.api}, workers ${by.workers}, redis ${by.redis ?? '-'}, pg ${by.postgres_backends}; ` +
        `${p.redis.commands_per_event} Redis cmd${p.redis.own_server ? '' : ' (shared Redis)'}, ` +
        `${p.postgres.rows_written_per_event} rows, WAL ${p.postgres.wal_bytes_per_event_database ?? p.postgres.wal_bytes_per_event_server} B, ` +
        `audit ${p.audit_bytes_per_event} B per event; jobs per partition ${p.jobs_completed_per_partition.join('/')}; ` +
        `${describeChecks(p.routes)}, ${p.worker_deaths} deaths`,
    ]);
  }
  table.push([
    'peak RSS (MB)',
    Object.entries(rss)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
    '',
  ]);
  table.push(['checks', failures.length ? `FAILED: ${failures.length}` : 'all passed', `${results.seconds as number} s in all`]);
  return table;
}

export function report(jsonFile: string | undefined): void {
  compare();
  results.failures = failures;
  const table = rows();
  const w = [0, 1, 2].map((c) => Math.max(...table.map((r) => r[c]!.length)));
  const line = (r: string[]) => `| ${r.map((c, k) => c.padEnd(w[k]!)).join(' | ')} |`;
  console.log(line(['measure', 'result', 'notes']));
  console.log(`|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`);
  table.forEach((r) => console.log(line(r)));
  const json = JSON.stringify({ bench: 'n8n-webhook-bridge', at: new Date().toISOString(), ...results });
  console.log(json);
  if (jsonFile) {
    writeFileSync(jsonFile, `${json}\n`);
    const svg = jsonFile.replace(/(\.json)?$/, '.svg');
    writeFileSync(svg, plotSvg(plots, options.rate));
  }
}
