/** The outgoing ceiling: bare BullMQ + undici (bench/baseline-pipeline.ts) on the same receiver. */
import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Commit } from './bridge';
import { log, options, plots, REDIS_URL, rss, runs } from './context';
import { delays, epochNow, recordCpu, recordThroughput } from './delivery-run';
import { configureRoutes, matchIds, received, resetReceiver, routeReport } from './deliveries';
import { ask, cpuMeter, forkTs, peakRssMb, percentile, round, stop, untilReached, waitReady } from './support';

/** The ceiling: bare BullMQ + undici in one process, N jobs, every id matched; its CPU per event; with latency, the same rate. */
export async function baseline(receiver: ChildProcess, receiverUrl: string) {
  const child = forkTs('bench/baseline-pipeline.ts', {
    TARGET_URL: `${receiverUrl}/baseline/lead-scraped`,
    REDIS_URL,
    PREFIX: `bench-base-${randomBytes(4).toString('hex')}`,
    CONCURRENCY: '50',
  });
  await waitReady(child);
  try {
    await configureRoutes(receiver, { baseline: {} });
    await resetReceiver(receiver);
    const meter = cpuMeter([child.pid]);
    const startedAt = epochNow();
    const started = performance.now();
    await ask(child, { type: 'run', count: options.events }, 'enqueued');
    await untilReached(() => received(receiver, 'baseline'), options.events);
    const ms = performance.now() - started;
    const cpuMs = meter();
    const report = await routeReport(receiver, 'baseline');
    const check = matchIds(
      'baseline',
      Array.from({ length: options.events }, (_, i) => `base-${i}`),
      report,
      'baseline',
    );
    recordThroughput('baseline', startedAt, [report]);
    const result = {
      events: options.events,
      seconds: round(ms / 1000, 2),
      events_per_s: Math.round(options.events / (ms / 1000)),
      cpu_ms_per_event: recordCpu('baseline', cpuMs, options.events),
      routes: [check],
      ...(runs('latency') && { latency: await baselineLatency(child, receiver) }),
    };
    rss.baseline_pipeline = peakRssMb(child.pid);
    log(`baseline: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await stop(child);
  }
}

/** The bare pipeline at the latency section's rate: one job added at a time, enqueue → receipt. */
async function baselineLatency(child: ChildProcess, receiver: ChildProcess) {
  await resetReceiver(receiver);
  const { commits } = await ask<{ commits: [string, number][] }>(
    child,
    { type: 'runAtRate', rate: options.rate, durationMs: options.seconds * 1000 },
    'producedAtRate',
  );
  await untilReached(() => received(receiver, 'baseline'), commits.length);
  const report = await routeReport(receiver, 'baseline');
  const check = matchIds(
    'baseline',
    commits.map(([id]) => id),
    report,
    'baseline',
  );
  const sorted = delays(
    commits.map(([id, at]): Commit => [id, at, '']),
    report,
  );
  plots.baselineLatency = sorted;
  return {
    rate_per_s: options.rate,
    events: commits.length,
    lost: check.missing,
    p50_ms: round(percentile(sorted, 50)),
    p99_ms: round(percentile(sorted, 99)),
    p999_ms: round(percentile(sorted, 99.9)),
    max_ms: round(sorted[sorted.length - 1] ?? NaN),
  };
}
