/**
 * How an outgoing section runs: produce in the bridge process (IPC), wait until every route of
 * the receiver got every event and every delivery is recorded sent with its audit row, then
 * match the ids, and keep the CPU the bridge used and the arrivals over time.
 */
import { ChildProcess } from 'node:child_process';
import type { BridgeCommand, Commit } from './bridge';
import { cpu, fail, log, plots } from './context';
import { matchIds, received, resetReceiver, RouteCheck, routeReport } from './deliveries';
import type { RouteReport } from './receiver';
import { ask, cpuMeter, round, untilReached } from './support';

/** The bridge's `audit` reply: row counts of its outbox and audit tables. */
type Audit = { sent: number; events: number; logs: number; history: number };
const audit = (bridge: ChildProcess) => ask<Audit>(bridge, { type: 'audit' }, 'audit');

export const epochNow = () => performance.timeOrigin + performance.now();

/** Keeps, for the plots, how many deliveries arrived in each half second since `startedAt` (epoch ms). */
export function recordThroughput(name: string, startedAt: number, reports: RouteReport[]): void {
  const slotMs = 500;
  const counts: number[] = [];
  for (const report of reports)
    for (const [, at] of report.arrivals) {
      const slot = Math.max(0, Math.floor((at - startedAt) / slotMs));
      while (counts.length <= slot) counts.push(0);
      counts[slot]!++;
    }
  plots.throughput[name] = { slotMs, counts };
}

/** Records the CPU a section's processes used per event it delivered. */
export function recordCpu(section: string, cpuMs: number, events: number): number {
  const msPerEvent = round(cpuMs / events, 3);
  cpu[section] = { cpu_ms: Math.round(cpuMs), events, ms_per_event: msPerEvent };
  return msPerEvent;
}

interface Delivery {
  section: string;
  /** The process that produces (IPC) and answers `audit`. */
  bridge: ChildProcess;
  /** Every bridge process whose CPU counts (the API and the workers of a scale-out). */
  cpuPids: (number | undefined)[];
  receiver: ChildProcess;
  /** Receiver routes that must each get every event once. */
  routes: string[];
  produce: BridgeCommand;
  events: number;
}

export interface DeliveryResult {
  events: number;
  deliveries: number;
  produce_s: number;
  end_to_end_s: number;
  events_per_s: number;
  deliveries_per_s: number;
  received_per_s: number;
  cpu_ms_per_event: number;
  routes: RouteCheck[];
}

/**
 * Produces, then waits until every route received every event and every delivery is recorded
 * `sent` with its audit row (for as long as the counts keep moving: a stall of 30 s ends the
 * wait and the shortfall fails the section), then matches the ids.
 */
export async function deliver(d: Delivery): Promise<{ result: DeliveryResult; commits: Commit[]; reports: Map<string, RouteReport> }> {
  await resetReceiver(d.receiver);
  const before = await audit(d.bridge);
  const deliveries = d.events * d.routes.length;
  const meter = cpuMeter(d.cpuPids);
  const startedAt = epochNow();
  const started = performance.now();
  const produced = await ask<{ ms: number }>(d.bridge, d.produce, 'produced');
  const receivedAll = async () => (await Promise.all(d.routes.map((r) => received(d.receiver, r)))).reduce((a, b) => a + b, 0);
  await untilReached(receivedAll, deliveries);
  const receivedMs = performance.now() - started;
  const audited = await untilReached(async () => {
    const now = await audit(d.bridge);
    return Math.min(now.sent - before.sent, now.logs - before.logs);
  }, deliveries);
  const auditedMs = performance.now() - started;
  const cpuMs = meter();
  if (audited < deliveries) fail(d.section, `only ${audited} of ${deliveries} deliveries recorded sent with their audit row`);
  const { commits } = await ask<{ commits: Commit[] }>(d.bridge, { type: 'commits' }, 'commits');
  if (commits.length !== d.events) fail(d.section, `${commits.length} events committed, ${d.events} asked for`);
  const ids = commits.map(([id]) => id);
  const reports = new Map<string, RouteReport>();
  const checks: RouteCheck[] = [];
  for (const route of d.routes) {
    const report = await routeReport(d.receiver, route);
    reports.set(route, report);
    checks.push(matchIds(d.section, ids, report, route));
  }
  recordThroughput(d.section, startedAt, [...reports.values()]);
  const result: DeliveryResult = {
    events: d.events,
    deliveries,
    produce_s: round(produced.ms / 1000, 2),
    end_to_end_s: round(auditedMs / 1000, 2),
    events_per_s: Math.round(d.events / (auditedMs / 1000)),
    deliveries_per_s: Math.round(deliveries / (auditedMs / 1000)),
    received_per_s: Math.round(d.events / (receivedMs / 1000)),
    cpu_ms_per_event: recordCpu(d.section, cpuMs, d.events),
    routes: checks,
  };
  log(`${d.section}: ${JSON.stringify(result)}`);
  return { result, commits, reports };
}

/** Commit → first receipt, in ms, of every committed event that arrived. */
export function delays(commits: Commit[], report: RouteReport): number[] {
  const arrived = new Map(report.arrivals);
  return commits
    .map(([id, at]) => (arrived.get(id) ?? NaN) - at)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
}

export const batches = (count: number): BridgeCommand => ({ type: 'produce', count, batch: 100, concurrency: 4 });
