/**
 * The `partitions` section: the scale-out workload (1 API process producing, 2 worker processes
 * delivering) run twice, with QUEUE_PARTITIONS=1 and with QUEUE_PARTITIONS=N (6 unless told), on a
 * Redis of its own and a fresh database each time, and what each event cost: CPU of every process
 * (bridge, Redis, Postgres backends), Redis commands, Postgres rows and WAL, audit bytes on disk,
 * and how the jobs spread over the partitions. The same checks as every outgoing section hold:
 * every id matched, every signature verified, a worker that dies fails the run.
 */
import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { deliveryQueueName } from '../src/queue/queue-partitions';
import { ADMIN_DB, bridgeEnv, fail, log, options, rss, SECRET } from './context';
import { batches, deliver } from './delivery-run';
import { configureRoutes, received, resetReceiver } from './deliveries';
import { spreadCounter } from './partition-spread';
import { auditBytes, backendCpuMeter, RowCounters, settledCounters, WalWindow } from './pg-probes';
import { BenchRedis, startBenchRedis } from './redis-server';
import { ask, cpuMeter, forkTs, freePort, peakRssMb, round, stop, until, untilReached, waitReady, withDatabase } from './support';

const WARM_UP_EVENTS = 500;
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const perEvent = (n: number | null | undefined, digits = 1) => (n === null || n === undefined ? null : round(n / options.events, digits));

/** 500 events through the whole path, every one recorded sent with its audit row, so the measured run starts warm. */
async function warmUp(section: string, api: ChildProcess, receiver: ChildProcess): Promise<void> {
  await resetReceiver(receiver);
  await ask(api, { type: 'produce', count: WARM_UP_EVENTS, batch: 100, concurrency: 2 }, 'produced');
  const warm = await untilReached(() => received(receiver, 'webhook'), WARM_UP_EVENTS);
  if (warm < WARM_UP_EVENTS) fail(section, `warm-up: ${warm} of ${WARM_UP_EVENTS} events received`);
  await until(
    async () => {
      const audit = await ask<{ sent: number; logs: number }>(api, { type: 'audit' }, 'audit');
      return audit.sent >= WARM_UP_EVENTS && audit.logs >= WARM_UP_EVENTS;
    },
    60_000,
    200,
  );
  await ask(api, { type: 'commits' }, 'commits');
}

/** Redis calls per event by command (script-internal calls included), the largest first, the bench's own left out. */
function topCommands(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const own = new Set(['xread', 'xrevrange', 'info', 'client|setname', 'client|setinfo', 'select']);
  return Object.fromEntries(
    Object.entries(after)
      .map(([name, calls]) => [name, calls - (before[name] ?? 0)] as const)
      .filter(([name, calls]) => calls > 0 && !own.has(name))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([name, calls]) => [name, round(calls / options.events, 2)]),
  );
}

/** One run of the workload with `partitions` delivery queues. */
async function partitionRun(partitions: number, receiver: ChildProcess, receiverUrl: string, redis: BenchRedis) {
  const section = `partitions-${partitions}`;
  return withDatabase(ADMIN_DB, async (databaseUrl) => {
    const prefix = `bench-${randomBytes(4).toString('hex')}`;
    const env = (role: string, port: number) => ({
      ...bridgeEnv(databaseUrl, receiverUrl, prefix, port, role),
      REDIS_URL: redis.url,
      QUEUE_PARTITIONS: String(partitions),
    });
    const api = forkTs('bench/bridge.ts', env('api', await freePort()));
    await waitReady(api);
    const workers = [0, 1].map(() => forkTs('src/main.ts', { ...env('worker', 0), DB_MIGRATIONS_RUN: 'false' }));
    const died: string[] = [];
    let stopping = false;
    [api, ...workers].forEach((child, i) =>
      child.once('exit', (code, signal) => {
        if (!stopping) died.push(`${i === 0 ? 'api' : `worker ${i}`} (pid ${child.pid}) exited with ${signal ?? code}`);
      }),
    );
    const names = Array.from({ length: partitions }, (_, p) => deliveryQueueName(p, false));
    try {
      const queues = names.map((name) => new Queue(name, { connection: { url: redis.url }, prefix }));
      try {
        await until(
          async () => (await Promise.all(queues.map((q) => q.getWorkersCount()))).every((n) => n >= workers.length) || died.length > 0,
          60_000,
          100,
        );
      } finally {
        await Promise.all(queues.map((q) => q.close()));
      }
      await configureRoutes(receiver, { webhook: { secret: SECRET } });
      await warmUp(section, api, receiver);
      const rowsBefore = await settledCounters(ADMIN_DB, databaseUrl, 11_000);
      const auditBefore = await auditBytes(databaseUrl);
      const loadBefore = loadavg();
      const wal = await WalWindow.open(ADMIN_DB);
      try {
        const spread = await spreadCounter(redis.url, prefix, names);
        const meters = {
          api: cpuMeter([api.pid]),
          workers: cpuMeter(workers.map((w) => w.pid)),
          redis: redis.pid ? cpuMeter([redis.pid]) : undefined,
          postgres: await backendCpuMeter(ADMIN_DB, databaseUrl),
        };
        const statsBefore = await redis.commandStats();
        const commandsBefore = await redis.commands();
        const ownBefore = spread.commands();
        const started = performance.now();
        const { result } = await deliver({
          section,
          bridge: api,
          cpuPids: [api.pid, ...workers.map((w) => w.pid)],
          receiver,
          routes: ['webhook'],
          produce: batches(options.events),
          events: options.events,
        });
        const wallMs = performance.now() - started;
        const cpuMs = { api: meters.api(), workers: meters.workers(), redis: meters.redis?.(), postgres: await meters.postgres() };
        const commands = (await redis.commands()) - commandsBefore - (spread.commands() - ownBefore);
        const statsAfter = await redis.commandStats();
        const completed = await spread.stop();
        const walBytes = await wal.stop();
        const loadAfter = loadavg();
        for (const death of died) fail(section, death);
        rss[`${section}_api`] = peakRssMb(api.pid);
        workers.forEach((w, i) => (rss[`${section}_worker_${i + 1}`] = peakRssMb(w.pid)));
        // The processes stop before the row counters are read: a backend hands over its last counts when it exits.
        stopping = true;
        await Promise.all([...workers, api].map((c) => stop(c)));
        const rows = await settledCounters(ADMIN_DB, databaseUrl, 1000);
        const delta = (k: keyof RowCounters) => rows[k] - rowsBefore[k];
        const auditAfter = await auditBytes(databaseUrl);
        const walOfDatabase = await wal.ofDatabase(databaseUrl);
        const scripts = ['evalsha', 'eval', 'fcall'].reduce((n, c) => n + (statsAfter[c] ?? 0) - (statsBefore[c] ?? 0), 0);
        const auditPerEvent = perEvent(auditAfter - auditBefore, 0);
        const cores = (ms: number | undefined) => (ms === undefined ? null : round(ms / wallMs, 2));
        return {
          ...result,
          partitions,
          processes: '1 api + 2 workers',
          worker_deaths: died.length,
          loadavg_before: loadBefore,
          loadavg_after: loadAfter,
          cpu_ms_per_event_by_process: {
            api: perEvent(cpuMs.api, 3),
            workers: perEvent(cpuMs.workers, 3),
            redis: perEvent(cpuMs.redis, 3),
            postgres_backends: perEvent(cpuMs.postgres, 3),
          },
          cores_busy: {
            api: cores(cpuMs.api),
            workers: cores(cpuMs.workers),
            redis: cores(cpuMs.redis),
            postgres_backends: cores(cpuMs.postgres),
          },
          events_per_worker_core_s: round(1000 / (cpuMs.workers / options.events), 0),
          events_per_bridge_core_s: round(1000 / (result.cpu_ms_per_event || NaN), 0),
          redis: {
            own_server: redis.pid !== undefined,
            commands_per_event: perEvent(commands, 2),
            script_calls_per_event: perEvent(scripts, 2),
            by_command_per_event: topCommands(statsBefore, statsAfter),
          },
          postgres: {
            rows_inserted_per_event: perEvent(delta('inserted'), 2),
            rows_updated_per_event: perEvent(delta('updated'), 2),
            rows_deleted_per_event: perEvent(delta('deleted'), 2),
            rows_written_per_event: perEvent(delta('inserted') + delta('updated') + delta('deleted'), 2),
            commits_per_event: perEvent(delta('commits'), 3),
            wal_bytes_per_event_server: perEvent(walBytes, 0),
            wal_bytes_per_event_database: perEvent(walOfDatabase, 0),
          },
          audit_bytes_per_event: auditPerEvent,
          audit_gb_per_day_per_1000_events_s: auditPerEvent === null ? null : round((auditPerEvent * 86.4e6) / 1e9, 1),
          jobs_completed_per_partition: completed,
          spread_max_vs_mean: round(Math.max(...completed) / (completed.reduce((a, b) => a + b, 0) / partitions), 2),
        };
      } finally {
        await wal.close();
      }
    } finally {
      stopping = true;
      await Promise.all([...workers, api].map((c) => stop(c)));
    }
  });
}

/** QUEUE_PARTITIONS=1, then QUEUE_PARTITIONS=N, same events, each on a fresh Redis and database. */
export async function partitionsSection(receiver: ChildProcess, receiverUrl: string) {
  const runs = [];
  for (const partitions of [1, options.partitions]) {
    const redis = await startBenchRedis();
    try {
      const run = await partitionRun(partitions, receiver, receiverUrl, redis);
      log(`partitions ${partitions}: ${JSON.stringify(run)}`);
      runs.push(run);
    } finally {
      await redis.close();
    }
  }
  const [one, many] = runs;
  return { events: options.events, runs, many_vs_one_events_per_s: one && many ? round(many.events_per_s / one.events_per_s, 2) : null };
}
