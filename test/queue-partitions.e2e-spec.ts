import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { OutboxService } from '../src/outbox/outbox.service';
import { CallbackHealthService } from '../src/webhook-responses/callback-health.service';
import { OutboxRelayService } from '../src/outbox/outbox-relay.service';
import { deliveryQueueName, partitionOf } from '../src/queue/queue-partitions';
import { WebhookQueueService } from '../src/queue/webhook-queue.service';
import { spawnBridge, stopBridge } from './support/bridge-process';
import { TestReceiver } from './support/receiver';
import { addSubscription } from './support/subscriptions';
import { baseTestEnv, startTestApp, TEST_ADMIN_TOKEN, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

const FAST = { WEBHOOK_RETRY_DELAYS_MS: '100,200', WEBHOOK_TIMEOUT_MS: '3000', OUTBOX_RELAY_INTERVAL_MS: '200' };

/** Commits `perEntity` rounds of one `lead_qualified` per entity; returns each entity's event ids in commit order. */
async function commitRounds(t: TestApp, entities: string[], perEntity: number): Promise<Map<string, string[]>> {
  const committed = new Map<string, string[]>(entities.map((e) => [e, []]));
  const outbox = t.app.get(OutboxService);
  for (let k = 0; k < perEntity; k++) {
    await Promise.all(
      entities.map(async (entity) => {
        const [envelope] = await t.dataSource.transaction((manager) =>
          outbox.record([{ type: 'lead_qualified', entity: { type: 'lead', id: entity }, data: { seq: k } }], manager),
        );
        committed.get(entity)?.push(envelope!.id);
      }),
    );
  }
  return committed;
}

/** Per entity, the event ids the receiver accepted (200), in the order they arrived. */
function receivedPerEntity(receiver: TestReceiver): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  for (const r of receiver.requests) {
    if (r.answered !== 200) continue;
    const entity = String(r.body?.entity?.id);
    const list = seen.get(entity) ?? [];
    list.push(String(r.headers['x-webhook-id']));
    seen.set(entity, list);
  }
  return seen;
}

/**
 * QUEUE_PARTITIONS on one Redis: deliveries spread over several queues by (subscription,
 * entity), order per entity kept, workers split by WORKER_PARTITIONS, and a partition count
 * lowered on a running system loses and reorders nothing.
 */
describe('delivery queue partitions (e2e)', () => {
  const receiver = new TestReceiver();

  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());
  beforeEach(() => receiver.reset());

  it('spreads deliveries over 4 partitions by entity, keeps each entity in commit order, and reports every partition', async () => {
    const t = await startTestApp({ ...FAST, QUEUE_PARTITIONS: '4', N8N_DISABLED_EVENTS: 'lead_qualified' });
    try {
      const sub = await addSubscription(t, {
        name: 'ordered',
        url: `${receiver.url}/o`,
        eventTypes: ['lead_qualified'],
        ordering: 'per_entity',
      });
      const entities = Array.from({ length: 40 }, () => randomUUID());
      const committed = await commitRounds(t, entities, 10);
      await waitFor(() => receiver.requests.filter((r) => r.answered === 200).length >= 400 || undefined, {
        timeoutMs: 60_000,
        what: '400 deliveries',
      });

      const received = receivedPerEntity(receiver);
      for (const entity of entities) expect(received.get(entity)).toEqual(committed.get(entity));

      // Every partition got work; each entity's deliveries all went through the partition its key hashes to.
      const queue = t.app.get(WebhookQueueService);
      expect(queue.partitions.map((q) => q.name)).toEqual([0, 1, 2, 3].map((p) => deliveryQueueName(p, false)));
      await waitFor(async () => (await queue.counts()).completed === 400 || undefined, { what: '400 jobs completed' });
      const completed = await Promise.all(queue.partitions.map((q) => q.getJobs(['completed'], 0, -1)));
      expect(completed.every((jobs) => jobs.length > 0)).toBe(true);
      const rows = await t.dataSource.query<{ id: string; entity_id: string }[]>(
        `SELECT id, entity_id FROM webhook_queue WHERE subscription_id = $1`,
        [sub.id],
      );
      const partitionOfJob = new Map(completed.flatMap((jobs, p) => jobs.map((j) => [j.id, p] as const)));
      for (const row of rows)
        expect(partitionOfJob.get(row.id)).toBe(
          partitionOf({ id: row.id, subscriptionId: sub.id, entityType: 'lead', entityId: row.entity_id }, 4),
        );

      const stats = await request(t.http)
        .get('/api/v1/webhooks/queue/stats')
        .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
        .expect(200);
      expect(stats.body.queue.partitions.map((p: { name: string }) => p.name)).toEqual(queue.partitions.map((q) => q.name));
      const perPartition = stats.body.queue.partitions.map((p: { jobs: { completed: number } }) => p.jobs.completed);
      expect(stats.body.queue.jobs.completed).toBe(perPartition.reduce((a: number, b: number) => a + b, 0));
      expect(stats.body.queue.jobs.completed).toBe(400);

      const metrics = await request(t.http).get('/metrics').set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`).expect(200);
      for (const q of queue.partitions) expect(metrics.text).toContain(`bridge_queue_jobs{queue="${q.name}",state="completed"}`);
    } finally {
      await t.close();
    }
  }, 90_000);

  it('two worker processes splitting the partitions (WORKER_PARTITIONS) deliver everything once', async () => {
    const prefix = `test-${randomBytes(6).toString('hex')}`;
    const env = { ...FAST, QUEUE_PARTITIONS: '4', QUEUE_PREFIX: prefix, N8N_BASE_URL: receiver.url };
    const t = await startTestApp({ ...env, APP_ROLE: 'api' });
    const childEnv = (partitions: string) =>
      baseTestEnv({ ...env, DATABASE_URL: t.db.url, APP_ROLE: 'worker', DB_MIGRATIONS_RUN: 'false', WORKER_PARTITIONS: partitions });
    const workers = [spawnBridge(childEnv('0,1')), spawnBridge(childEnv('2,3'))];
    try {
      const queue = t.app.get(WebhookQueueService);
      await waitFor(async () => (await Promise.all(queue.partitions.map((q) => q.getWorkersCount()))).every((n) => n === 1), {
        timeoutMs: 40_000,
        what: 'one worker on each of the 4 partitions',
      });
      const committed = await commitRounds(
        t,
        Array.from({ length: 30 }, () => randomUUID()),
        5,
      );
      const ids = [...committed.values()].flat();
      await waitFor(() => new Set(receiver.requests.map((r) => r.headers['x-webhook-id'])).size >= ids.length || undefined, {
        timeoutMs: 30_000,
        what: `${ids.length} deliveries`,
      });
      const received = receiver.requests.map((r) => String(r.headers['x-webhook-id']));
      expect(received.sort()).toEqual([...ids].sort());
      const health = await t.app.get(CallbackHealthService).check();
      expect(health.checks.queue).toMatchObject({ worker_running: true, workers: 1 });
    } finally {
      await Promise.all(workers.map((w) => stopBridge(w)));
      await t.close();
    }
  }, 90_000);

  it('QUEUE_PARTITIONS lowered from 4 to 2 while jobs wait: the relay moves them into the new partitions, every event once, each entity in order', async () => {
    const prefix = `test-${randomBytes(6).toString('hex')}`;
    const env = { ...FAST, QUEUE_PREFIX: prefix, N8N_DISABLED_EVENTS: 'lead_qualified' };
    // The old configuration: an api process with 4 partitions and no worker at all, so every job waits.
    const old = await startTestApp({ ...env, QUEUE_PARTITIONS: '4', APP_ROLE: 'api' });
    let child: ReturnType<typeof spawnBridge> | undefined;
    try {
      const sub = await addSubscription(old, {
        name: 'ordered',
        url: `${receiver.url}/o`,
        eventTypes: ['lead_qualified'],
        ordering: 'per_entity',
      });
      const entities = Array.from({ length: 20 }, () => randomUUID());
      const committed = await commitRounds(old, entities, 5);
      const oldQueue = old.app.get(WebhookQueueService);
      await waitFor(async () => (await oldQueue.counts()).prioritized === 100 || undefined, { what: '100 jobs waiting' });
      const waitingIn = await Promise.all(oldQueue.partitions.map((q) => q.getJobCountByTypes('prioritized')));
      expect(waitingIn[2]! + waitingIn[3]!).toBeGreaterThan(0);

      // The new configuration: 2 partitions. Its relay finds the jobs left in partitions 2 and 3.
      child = spawnBridge(
        baseTestEnv({ ...env, QUEUE_PARTITIONS: '2', DATABASE_URL: old.db.url, APP_ROLE: 'all', DB_MIGRATIONS_RUN: 'false', PORT: '0' }),
      );
      await waitFor(() => receiver.requests.filter((r) => r.answered === 200).length >= 100 || undefined, {
        timeoutMs: 60_000,
        what: `100 deliveries after the change\n${child.output()}`,
      });
      const received = receivedPerEntity(receiver);
      for (const entity of entities) expect(received.get(entity)).toEqual(committed.get(entity));
      expect(receiver.requests.filter((r) => r.answered === 200)).toHaveLength(100);
      const statuses = () =>
        old.dataSource.query<{ status: string; n: number }[]>(
          `SELECT status, count(*)::int AS n FROM webhook_queue WHERE subscription_id = $1 GROUP BY status`,
          [sub.id],
        );
      await waitFor(async () => (await statuses()).length === 1 || undefined, { what: 'every delivery recorded' });
      expect(await statuses()).toEqual([{ status: 'sent', n: 100 }]);
      // Partitions 2 and 3 hold nothing any more.
      const left = await Promise.all(
        oldQueue.partitions.slice(2).map((q) => q.getJobCountByTypes('waiting', 'prioritized', 'delayed', 'active')),
      );
      expect(left).toEqual([0, 0]);
      expect(await old.app.get(OutboxRelayService).relay()).toBe(0);
    } finally {
      if (child) await stopBridge(child);
      await old.close();
    }
  }, 120_000);
});
