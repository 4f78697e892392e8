import { randomUUID } from 'node:crypto';
import { Lead } from '../src/domain/leads/lead.entity';
import { OutboxEvent } from '../src/outbox/outbox-event.entity';
import { OutboxPublisher } from '../src/outbox/outbox-publisher.service';
import { OutboxRelayService } from '../src/outbox/outbox-relay.service';
import { WebhookQueueService } from '../src/queue/webhook-queue.service';
import { EventType } from '../src/events/event-catalog';
import { EventInput } from '../src/events/event-envelope';
import { TriggerService } from '../src/triggers/trigger.service';
import { ApiWithWorkers, startApiWithWorkers } from './support/bridge-process';
import { TestReceiver } from './support/receiver';
import { TcpProxy } from './support/tcp-proxy';
import { deleteRedisPrefix, startTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

const newLead = () => ({ title: 'Roofer in Nantes', url: `https://ads.example/${randomUUID()}` });
const rowStatus = async (t: TestApp, id: string) => (await t.dataSource.getRepository(OutboxEvent).findOneBy({ id }))?.status;
/**
 * Records the attempts to queue outbox rows that failed — the publish right after the commit, and
 * each relay pass — without changing what they do; `restore` puts the methods back.
 */
function failedPublishes(t: TestApp) {
  const publisher = t.app.get(OutboxPublisher);
  const relay = t.app.get(OutboxRelayService);
  const publish = publisher.publish.bind(publisher);
  const pass = relay.relay.bind(relay);
  const failed: string[][] = [];
  let failedPasses = 0;
  publisher.publish = async (events) => {
    try {
      await publish(events);
    } catch (error) {
      failed.push(events.map((e) => e.id));
      throw error;
    }
  };
  relay.relay = async (checkLost) => {
    try {
      return await pass(checkLost);
    } catch (error) {
      failedPasses++;
      throw error;
    }
  };
  return {
    of: (id: string) => failed.filter((ids) => ids.includes(id)).length,
    relayPasses: () => failedPasses,
    restore: () => {
      Reflect.deleteProperty(publisher, 'publish');
      Reflect.deleteProperty(relay, 'relay');
    },
  };
}

const fast = { WEBHOOK_RETRY_DELAYS_MS: '200,400', WEBHOOK_TIMEOUT_MS: '2000', OUTBOX_RELAY_INTERVAL_MS: '200' };

describe('outgoing events: ordering and failures', () => {
  const receiver = new TestReceiver();
  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());
  beforeEach(() => receiver.reset());

  it('serves critical events first when a paused queue is resumed', async () => {
    const t = await startTestApp({ ...fast, N8N_BASE_URL: receiver.url, WEBHOOK_CONCURRENCY: '1' });
    try {
      const queue = t.app.get(WebhookQueueService).queue;
      await queue.pause();
      const types: EventType[] = [
        'lead_scraped',
        'demo_completed',
        'workflow_error',
        'demo_failed',
        'email_sent',
        'workflow_error',
        'video_completed',
        'lead_qualified',
      ];
      const inputs: EventInput[] = types.map((type, i) => ({ type, entity: { type: 'test', id: `e${i}` }, data: { i } }));
      const envelopes = await t.app.get(TriggerService).emitMany(inputs);
      await waitFor(async () => (await Promise.all(envelopes.map((e) => rowStatus(t, e.id)))).every((s) => s === 'queued'), {
        what: 'all events queued',
      });
      await queue.resume();
      const hits = await receiver.waitForCount(() => true, types.length);
      expect(hits.map((h) => h.body.priority)).toEqual([3, 3, 2, 1, 1, 0, 0, 0]);
      expect(hits.slice(0, 2).map((h) => h.body.event)).toEqual(['workflow_error', 'workflow_error']);
    } finally {
      await t.close();
    }
  });

  it('commits domain writes while Redis is unreachable and delivers once it is back', async () => {
    const proxy = await new TcpProxy('127.0.0.1', 6379).start();
    const t = await startTestApp({ ...fast, N8N_BASE_URL: receiver.url, REDIS_URL: `redis://${proxy.address}` });
    try {
      await proxy.cut();
      const failures = failedPublishes(t);
      const repo = t.dataSource.getRepository(Lead);
      const started = Date.now();
      const lead = await repo.save(repo.create(newLead()));
      expect(Date.now() - started).toBeLessThan(2000);
      const [row] = await t.dataSource.getRepository(OutboxEvent).findBy({ entityId: lead.id });
      // Stays pending while the queue cannot be reached: watched until the publish after the commit
      // and two of the relay's passes failed.
      const seen = new Set<string | undefined>();
      await waitFor(
        async () => {
          const status = await rowStatus(t, row!.id);
          seen.add(status);
          return status !== 'pending' || (failures.of(row!.id) >= 1 && failures.relayPasses() >= 2);
        },
        { what: 'the publish and two relay passes failing' },
      );
      seen.add(await rowStatus(t, row!.id));
      failures.restore();
      expect([...seen]).toEqual(['pending']);
      expect(receiver.forEntity(lead.id)).toHaveLength(0);

      await proxy.restore();
      await receiver.waitForCount((r) => r.body?.entity?.id === lead.id, 1, 20000);
      await waitFor(async () => (await rowStatus(t, row!.id)) === 'sent', { what: 'row sent' });
      expect(receiver.forEntity(lead.id)).toHaveLength(1);
    } finally {
      await t.close();
      await proxy.stop();
    }
  });

  it('re-queues events that Redis lost after they were committed and queued', async () => {
    const t = await startTestApp({ ...fast, N8N_BASE_URL: receiver.url });
    try {
      const queue = t.app.get(WebhookQueueService).queue;
      await queue.pause();
      const repo = t.dataSource.getRepository(Lead);
      const lead = await repo.save(repo.create(newLead()));
      const [row] = await t.dataSource.getRepository(OutboxEvent).findBy({ entityId: lead.id });
      await waitFor(async () => (await rowStatus(t, row!.id)) === 'queued', { what: 'row queued' });

      // Every key of this app's queue disappears, as after FLUSHALL or a Redis restart without persistence.
      await deleteRedisPrefix(t.config.redis.queuePrefix);
      expect(await queue.getJobState(row!.id)).toBe('unknown');

      await receiver.waitForCount((r) => r.body?.entity?.id === lead.id, 1, 20000);
      await waitFor(async () => (await rowStatus(t, row!.id)) === 'sent', { what: 'row sent' });
      expect(receiver.forEntity(lead.id)).toHaveLength(1);
    } finally {
      await t.close();
    }
  });

  it('lets an in-flight delivery finish on shutdown and leaves nothing in sending', async () => {
    receiver.respondWith(() => ({ status: 200, delayMs: 800 }));
    const t = await startTestApp({ ...fast, N8N_BASE_URL: receiver.url, WEBHOOK_TIMEOUT_MS: '1500' });
    const envelope = await t.app.get(TriggerService).emit('lead_scraped', { entity: { type: 'lead', id: randomUUID() }, data: {} });
    await receiver.waitForCount(() => true, 1);
    expect(await rowStatus(t, envelope!.id)).toBe('sending');
    // Close while the request is in flight: the worker waits for it (bounded by WEBHOOK_TIMEOUT_MS).
    const { dataSource } = t;
    const rowAfter = async () => (await dataSource.query(`SELECT status FROM webhook_queue WHERE id = $1`, [envelope!.id]))[0].status;
    await t.app.close();
    const reopened = await dataSource.initialize().catch(() => undefined);
    try {
      const status = reopened ? await rowAfter() : undefined;
      expect(status).toBe('sent');
    } finally {
      await reopened?.destroy();
      await deleteRedisPrefix(t.config.redis.queuePrefix);
      await t.db.drop();
    }
  });
});

describe('outgoing events: two worker processes on one queue', () => {
  const receiver = new TestReceiver();
  let t: TestApp;
  let stack: ApiWithWorkers;

  beforeAll(async () => {
    await receiver.start();
    stack = await startApiWithWorkers({ ...fast, N8N_BASE_URL: receiver.url }, { WEBHOOK_CONCURRENCY: '25' });
    t = stack.t;
  }, 60000);

  afterAll(async () => {
    await (stack as ApiWithWorkers | undefined)?.stop();
    await receiver.stop();
  });

  it('delivers 1,000 events exactly once between them', async () => {
    const triggers = t.app.get(TriggerService);
    const ids: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const inputs: EventInput[] = Array.from({ length: 100 }, (_, i) => ({
        type: 'lead_scraped',
        entity: { type: 'lead', id: `${batch}-${i}` },
        data: { n: batch * 100 + i },
      }));
      const envelopes = await t.dataSource.transaction((manager) => triggers.emitMany(inputs, { manager }));
      ids.push(...envelopes.map((e) => e.id));
    }
    await receiver.waitForCount(() => true, 1000, 60000);
    await waitFor(
      async () => (await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_queue WHERE status = 'sent'`))[0].n === 1000,
      {
        timeoutMs: 30000,
        what: 'all 1,000 rows sent',
      },
    );
    const distinct = new Set(receiver.requests.map((r) => String(r.headers['x-webhook-id'])));
    expect(distinct.size).toBe(1000);
    expect(receiver.requests).toHaveLength(1000);
    expect([...distinct].sort()).toEqual([...ids].sort());
    const logs = await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_logs WHERE direction = 'outgoing'`);
    expect(logs[0].n).toBe(1000);
  }, 90000);
});
