/**
 * The ceiling to compare with: bare BullMQ + undici, one process, no outbox, no signing, no
 * audit. `run` adds `count` jobs with addBulk; `runAtRate` adds one job at a time at a fixed
 * rate and reports when each add returned. The worker POSTs each job's body to the receiver with
 * the same concurrency as the bridge.
 */
import { Queue, Worker } from 'bullmq';
import { Agent, request } from 'undici';

const url = process.env.TARGET_URL as string;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.PREFIX as string;
const concurrency = Number(process.env.CONCURRENCY ?? 50);
type Message = { type: 'run'; count: number } | { type: 'runAtRate'; rate: number; durationMs: number };

const agent = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });

async function main(): Promise<void> {
  const queue = new Queue('baseline', { connection: { url: redisUrl }, prefix });
  const worker = new Worker(
    'baseline',
    async (job) => {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-webhook-id': job.id as string },
        body: JSON.stringify(job.data),
        dispatcher: agent,
      });
      await res.body.dump();
      if (res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}`);
    },
    { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix, concurrency, removeOnComplete: { count: 1000 } },
  );
  await worker.waitUntilReady();
  const now = () => performance.timeOrigin + performance.now();
  const body = (id: string, n: number) => ({
    id,
    event: 'lead_scraped',
    data: { lead: { title: `Plumber #${n}`, city: 'Lyon', url: `https://ads.example/${n}` } },
  });
  /** Like the bridge's produceAtRate: one add per event, at `rate` per second for `durationMs`. */
  const runAtRate = async (rate: number, durationMs: number) => {
    const commits: [string, number][] = [];
    const pending: Promise<void>[] = [];
    const started = now();
    let sent = 0;
    while (now() - started < durationMs) {
      const due = Math.floor(((now() - started) / 1000) * rate);
      for (; sent < due; sent++) {
        const id = `rate-${sent}`;
        pending.push(queue.add('lead_scraped', body(id, sent), { jobId: id, attempts: 4 }).then(() => void commits.push([id, now()])));
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(pending);
    process.send?.({ type: 'producedAtRate', commits });
  };
  const run = async (msg: Message) => {
    if (msg.type === 'runAtRate') return runAtRate(msg.rate, msg.durationMs);
    const started = performance.now();
    for (let i = 0; i < msg.count; i += 1000) {
      const jobs = Array.from({ length: Math.min(1000, msg.count - i) }, (_, k) => ({
        name: 'lead_scraped',
        data: body(`base-${i + k}`, i + k),
        opts: { jobId: `base-${i + k}`, attempts: 4 },
      }));
      await queue.addBulk(jobs);
    }
    process.send?.({ type: 'enqueued', ms: performance.now() - started });
  };
  const shutdown = async () => {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    process.exit(0);
  };
  process.on('message', (msg: Message) => void run(msg));
  process.on('disconnect', () => void shutdown());
  process.send?.({ type: 'ready', pid: process.pid });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
