/**
 * The ceiling to compare with: bare BullMQ + undici, one process, no outbox, no signing, no
 * audit. Adds `count` jobs with addBulk and POSTs each job's body to the receiver with the
 * same concurrency as the bridge.
 */
import { Queue, Worker } from 'bullmq';
import { Agent, request } from 'undici';

const url = process.env.TARGET_URL as string;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.PREFIX as string;
const concurrency = Number(process.env.CONCURRENCY ?? 50);
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
  const run = async (msg: { type: string; count: number }) => {
    if (msg.type !== 'run') return;
    const started = performance.now();
    for (let i = 0; i < msg.count; i += 1000) {
      const jobs = Array.from({ length: Math.min(1000, msg.count - i) }, (_, k) => ({
        name: 'lead_scraped',
        data: {
          id: `base-${i + k}`,
          event: 'lead_scraped',
          data: { lead: { title: `Plumber #${i + k}`, city: 'Lyon', url: `https://ads.example/${i + k}` } },
        },
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
  process.on('message', (msg: { type: string; count: number }) => void run(msg));
  process.on('disconnect', () => void shutdown());
  process.send?.({ type: 'ready', pid: process.pid });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
