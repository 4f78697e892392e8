/**
 * `npm run bench`: measures the bridge against the machine's own ceilings in one run, on the
 * local Postgres and Redis, with a loopback receiver standing in for n8n and every other
 * subscriber. Prints a table (CPU per delivered event first) and a JSON line; exits 1 when a
 * section lost, invented or mis-signed a delivery, wrote a wrong number of rows, or lost a process.
 *
 * Sections (`--only a,b`; a section also runs what its comparison needs):
 *   outgoing           N events in transactions of 100 (+ baseline)            --events N (10000)
 *   latency            one event per transaction at a fixed rate                 --rate R (500) --seconds S (10)
 *   single             one event per transaction, many in flight                --single-events N (4000) --single-concurrency C (32)
 *   baseline           bare BullMQ + undici, same N (and the same rate, with latency)
 *   incoming           signed workflow-status callbacks, bridge and bare NestJS  --incoming-seconds S (10) --connections C (50)
 *   incoming-baseline  the same callbacks against a hand-written node:http server (+ incoming)
 *   fanout             built-in + 2 subscriptions, every event 3 times (+ outgoing) --fanout-events N (4000)
 *   ordered            per_entity vs none over E leads                           --ordered-events N (4000) --entities E (500) --ordered-concurrency C (32)
 *   rest               leads through POST /api/v1/leads (+ baseline)              --rest-leads N (4000) --rest-clients C (32)
 *   scaleout           1 API + 2 worker processes
 *   partitions         the scale-out run with QUEUE_PARTITIONS=1, then =N, each on a Redis of its own:  --partitions N (6)
 *                      CPU per process, Redis commands, Postgres rows and WAL, audit bytes per event, jobs per partition
 * --json FILE writes the results there, and the plots beside it (FILE with .svg).
 */
import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ADMIN_DB, bridgeEnv, fail, failures, log, options, plots, results, rss, runs, SECRET } from './context';
import { configureRoutes, received, resetReceiver } from './deliveries';
import { incoming, incomingBaseline } from './incoming';
import { baseline } from './baseline';
import { ordered } from './ordered';
import { partitionsSection } from './partitions';
import { fanout, latency, outgoing, scaleOut, single } from './outgoing';
import { report } from './report';
import { rest } from './rest';
import { ask, forkTs, freePort, peakRssMb, stop, untilReached, waitReady, withDatabase } from './support';

/** The sections that share one all-in-one bridge process (bench/bridge.ts), in this order. */
async function bridgeSections(receiver: ChildProcess, receiverUrl: string): Promise<void> {
  await withDatabase(ADMIN_DB, async (databaseUrl) => {
    const port = await freePort();
    const apiUrl = `http://127.0.0.1:${port}`;
    const bridge = forkTs('bench/bridge.ts', bridgeEnv(databaseUrl, receiverUrl, `bench-${randomBytes(4).toString('hex')}`, port, 'all'));
    await waitReady(bridge);
    let stopping = false;
    bridge.once('exit', (code, signal) => {
      if (!stopping) fail('bridge', `the bridge process exited during the run (${signal ?? code})`);
    });
    try {
      // Warm-up: 500 events through the whole path.
      await configureRoutes(receiver, { webhook: { secret: SECRET } });
      await resetReceiver(receiver);
      await ask(bridge, { type: 'produce', count: 500, batch: 100, concurrency: 2 }, 'produced');
      const warm = await untilReached(() => received(receiver, 'webhook'), 500);
      if (warm < 500) fail('warm-up', `${warm} of 500 events received`);
      await ask(bridge, { type: 'commits' }, 'commits');
      if (runs('outgoing')) results.outgoing = await outgoing(bridge, receiver);
      if (runs('latency')) {
        const { result, delays } = await latency(bridge, receiver);
        results.latency = result;
        plots.latency = delays;
      }
      if (runs('single')) results.single = await single(bridge, receiver);
      if (runs('incoming')) results.incoming = await incoming(port, databaseUrl, bridge.pid);
      if (runs('fanout')) results.fanout = await fanout(bridge, apiUrl, receiver, receiverUrl);
      if (runs('ordered')) results.ordered = await ordered(bridge, apiUrl, receiver, receiverUrl);
      rss.bridge_all = peakRssMb(bridge.pid);
    } finally {
      stopping = true;
      await stop(bridge);
    }
  });
}

/** Runs a section; an exception fails it (and the run) but the others still run. */
async function section(name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    fail(name, error instanceof Error ? (error.stack ?? error.message) : String(error));
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const receiver = forkTs('bench/receiver.ts');
  const { port: receiverPort } = await waitReady<{ port: number }>(receiver);
  const receiverUrl = `http://127.0.0.1:${receiverPort}`;
  try {
    if (['outgoing', 'latency', 'single', 'incoming', 'fanout', 'ordered'].some(runs))
      await section('bridge', () => bridgeSections(receiver, receiverUrl));
    if (runs('incoming-baseline'))
      await section('incoming-baseline', async () => void (results.incoming_baseline = await incomingBaseline()));
    if (runs('baseline')) await section('baseline', async () => void (results.baseline = await baseline(receiver, receiverUrl)));
    if (runs('rest')) await section('rest', async () => void (results.rest = await rest(receiver, receiverUrl)));
    if (runs('scaleout')) await section('scaleout', async () => void (results.scale_out = await scaleOut(receiver, receiverUrl)));
    if (runs('partitions'))
      await section('partitions', async () => void (results.partitions = await partitionsSection(receiver, receiverUrl)));
    rss.receiver = peakRssMb(receiver.pid);
    rss.orchestrator = peakRssMb(process.pid);
  } finally {
    await stop(receiver);
  }
  results.seconds = Math.round((performance.now() - started) / 1000);
  report(options.json);
  if (failures.length) {
    log(`\nThe run FAILED (${failures.length}):\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
