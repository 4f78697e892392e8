/**
 * The outgoing sections on the all-in-one bridge: batches (outgoing), one event per transaction
 * (single), a fixed rate (latency), three subscriptions (fanout); and the scale-out run. Every
 * received id is matched against the committed ids and every signature checked.
 */
import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { DELIVERY_QUEUE } from '../src/queue/queue.constants';
import type { Commit } from './bridge';
import { ADMIN_DB, bridgeEnv, fail, log, options, REDIS_URL, rss, SECRET } from './context';
import { batches, delays, deliver, recordCpu } from './delivery-run';
import { configureRoutes, matchIds, received, resetReceiver, routeReport } from './deliveries';
import { BenchSubscription, createSubscription, deleteSubscription } from './subscriptions';
import {
  ask,
  cpuMeter,
  forkTs,
  freePort,
  peakRssMb,
  percentile,
  round,
  stop,
  until,
  untilReached,
  waitReady,
  withDatabase,
} from './support';

/** N events in transactions of 100, 4 in flight, to the built-in subscription. */
export async function outgoing(bridge: ChildProcess, receiver: ChildProcess) {
  await configureRoutes(receiver, { webhook: { secret: SECRET } });
  const { result } = await deliver({
    section: 'outgoing',
    bridge,
    cpuPids: [bridge.pid],
    receiver,
    routes: ['webhook'],
    produce: batches(options.events),
    events: options.events,
  });
  return result;
}

/** One event per business transaction (IPC into TriggerService), many in flight. */
export async function single(bridge: ChildProcess, receiver: ChildProcess) {
  await configureRoutes(receiver, { webhook: { secret: SECRET } });
  const { result } = await deliver({
    section: 'single',
    bridge,
    cpuPids: [bridge.pid],
    receiver,
    routes: ['webhook'],
    produce: { type: 'produceEach', count: options.singleEvents, concurrency: options.singleConcurrency, eventType: 'lead_scraped' },
    events: options.singleEvents,
  });
  return { ...result, in_flight: options.singleConcurrency };
}

/** Latency at a fixed rate, one event per transaction; every event must arrive. */
export async function latency(bridge: ChildProcess, receiver: ChildProcess) {
  await configureRoutes(receiver, { webhook: { secret: SECRET } });
  // Warm-up: two seconds at the same rate, reported apart (the first second after a start is
  // slower), then the measured run.
  await resetReceiver(receiver);
  const warm = await ask<{ sent: number }>(bridge, { type: 'produceAtRate', rate: options.rate, durationMs: 2000 }, 'producedAtRate');
  await untilReached(() => received(receiver, 'webhook'), warm.sent);
  const warmDelays = delays(
    (await ask<{ commits: Commit[] }>(bridge, { type: 'commits' }, 'commits')).commits,
    await routeReport(receiver, 'webhook'),
  );
  await resetReceiver(receiver);
  const meter = cpuMeter([bridge.pid]);
  const { sent } = await ask<{ sent: number }>(
    bridge,
    { type: 'produceAtRate', rate: options.rate, durationMs: options.seconds * 1000 },
    'producedAtRate',
  );
  await untilReached(() => received(receiver, 'webhook'), sent);
  const cpuMs = meter();
  const { commits } = await ask<{ commits: Commit[] }>(bridge, { type: 'commits' }, 'commits');
  const report = await routeReport(receiver, 'webhook');
  const check = matchIds(
    'latency',
    commits.map(([id]) => id),
    report,
    'webhook',
  );
  if (commits.length !== sent) fail('latency', `${sent - commits.length} events raised but not committed`);
  const sorted = delays(commits, report);
  const result = {
    rate_per_s: options.rate,
    seconds: options.seconds,
    events: sent,
    lost: check.missing + (sent - commits.length),
    p50_ms: round(percentile(sorted, 50)),
    p99_ms: round(percentile(sorted, 99)),
    p999_ms: round(percentile(sorted, 99.9)),
    max_ms: round(sorted[sorted.length - 1] ?? NaN),
    warm_up: {
      events: warmDelays.length,
      p99_ms: round(percentile(warmDelays, 99)),
      max_ms: round(warmDelays[warmDelays.length - 1] ?? NaN),
    },
    cpu_ms_per_event: recordCpu('latency', cpuMs, sent),
    routes: [check],
  };
  log(`latency: ${JSON.stringify(result)}`);
  return { result, delays: sorted };
}

/** The built-in subscription plus two more, each with its own route and secret: every event is delivered three times. */
export async function fanout(bridge: ChildProcess, apiUrl: string, receiver: ChildProcess, receiverUrl: string) {
  const names = ['fanout-a', 'fanout-b'];
  const subscriptions: BenchSubscription[] = [];
  for (const name of names)
    subscriptions.push(
      await createSubscription(apiUrl, bridge, {
        name: `bench-${name}`,
        url: `${receiverUrl}/${name}/{event}`,
        eventTypes: ['lead_scraped'],
      }),
    );
  try {
    await configureRoutes(receiver, {
      webhook: { secret: SECRET },
      ...Object.fromEntries(names.map((name, i) => [name, { secret: subscriptions[i]!.secret }])),
    });
    const { result } = await deliver({
      section: 'fanout',
      bridge,
      cpuPids: [bridge.pid],
      receiver,
      routes: ['webhook', ...names],
      produce: batches(options.fanoutEvents),
      events: options.fanoutEvents,
    });
    return { subscriptions: 1 + names.length, created_via: subscriptions[0]!.via, ...result };
  } finally {
    for (const s of subscriptions) await deleteSubscription(apiUrl, bridge, s);
  }
}

/** One API process producing, two worker processes (`src/main.ts`, APP_ROLE=worker) delivering; a worker that dies fails the run. */
export async function scaleOut(receiver: ChildProcess, receiverUrl: string) {
  return withDatabase(ADMIN_DB, async (databaseUrl) => {
    const prefix = `bench-${randomBytes(4).toString('hex')}`;
    const api = forkTs('bench/bridge.ts', bridgeEnv(databaseUrl, receiverUrl, prefix, await freePort(), 'api'));
    await waitReady(api);
    const workers = [0, 1].map(() =>
      forkTs('src/main.ts', { ...bridgeEnv(databaseUrl, receiverUrl, prefix, 0, 'worker'), DB_MIGRATIONS_RUN: 'false' }),
    );
    const died: string[] = [];
    workers.forEach((w, i) => w.once('exit', (code, signal) => died.push(`worker ${i + 1} (pid ${w.pid}) exited with ${signal ?? code}`)));
    const queue = new Queue(DELIVERY_QUEUE, { connection: { url: REDIS_URL }, prefix });
    try {
      await until(async () => (await queue.getWorkersCount()) >= workers.length || died.length > 0, 60_000, 100);
      await configureRoutes(receiver, { webhook: { secret: SECRET } });
      const { result } = await deliver({
        section: 'scaleout',
        bridge: api,
        cpuPids: [api.pid, ...workers.map((w) => w.pid)],
        receiver,
        routes: ['webhook'],
        produce: batches(options.events),
        events: options.events,
      });
      for (const death of died) fail('scaleout', death);
      rss.scaleout_api = peakRssMb(api.pid);
      workers.forEach((w, i) => (rss[`scaleout_worker_${i + 1}`] = peakRssMb(w.pid)));
      return { ...result, processes: '1 api + 2 workers', worker_deaths: died.length };
    } finally {
      await queue.close();
      await Promise.all([...workers, api].map((c) => stop(c)));
    }
  });
}
