import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { WebhookQueueService } from '../src/queue/webhook-queue.service';
import { EventInput } from '../src/events/event-envelope';
import { TriggerService } from '../src/triggers/trigger.service';
import { ApiWithWorkers, startApiWithWorkers } from './support/bridge-process';
import { TestReceiver } from './support/receiver';
import { TEST_ADMIN_TOKEN, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * Fails if `check` turns true within `ms`. Proving that nothing happens needs an observation
 * window; a delivery here normally takes a few milliseconds, so one second is a wide margin.
 */
async function expectNothingFor(ms: number, check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) throw new Error(`Expected no ${what}, but it happened`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('pause and resume across two worker processes (e2e)', () => {
  const receiver = new TestReceiver();
  let t: TestApp;
  let stack: ApiWithWorkers;

  beforeAll(async () => {
    await receiver.start();
    const fast = { WEBHOOK_RETRY_DELAYS_MS: '200,400', WEBHOOK_TIMEOUT_MS: '3000', OUTBOX_RELAY_INTERVAL_MS: '200' };
    stack = await startApiWithWorkers({ ...fast, N8N_BASE_URL: receiver.url }, { WEBHOOK_CONCURRENCY: '5' });
    t = stack.t;
  }, 60000);

  afterAll(async () => {
    await (stack as ApiWithWorkers | undefined)?.stop();
    await receiver.stop();
  });

  const api = (path: string) => request(t.http).post(`/api/v1/webhooks/queue${path}`).set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`);
  const statuses = async (ids: string[]) =>
    (await t.dataSource.query(`SELECT status FROM webhook_queue WHERE id = ANY($1)`, [ids])).map(
      (r: { status: string }) => r.status,
    ) as string[];

  it('delivers nothing while paused (an in-flight delivery finishes), and everything once resumed', async () => {
    // An event in flight when the pause comes still finishes.
    const slowEntity = `slow-${randomUUID()}`;
    receiver.respondWith((r) => (r.body?.entity?.id === slowEntity ? { status: 200, delayMs: 700 } : { status: 200 }));
    const triggers = t.app.get(TriggerService);
    const slow = (await triggers.emit('lead_scraped', { entity: { type: 'test', id: slowEntity }, data: {} }))!.id;
    await receiver.waitForCount((r) => r.body?.entity?.id === slowEntity, 1);

    await api('/pause').expect(200, { paused: true });
    await waitFor(async () => (await statuses([slow]))[0] === 'sent', { what: 'in-flight delivery finished while paused' });

    const inputs: EventInput[] = Array.from({ length: 20 }, (_, i) => ({
      type: i % 2 ? 'demo_completed' : 'lead_scraped',
      entity: { type: 'test', id: `paused-${i}` },
      data: { i },
    }));
    const ids = (await t.dataSource.transaction((manager) => triggers.emitMany(inputs, { manager }))).map((e) => e.id);
    await waitFor(async () => (await statuses(ids)).every((s) => s === 'queued'), { what: 'all 20 queued' });
    const queue = t.app.get(WebhookQueueService);
    expect((await queue.queue.getWorkers()).length).toBeGreaterThanOrEqual(2);
    const isPausedRequest = (r: { headers: Record<string, unknown> }) => ids.includes(String(r.headers['x-webhook-id']));
    await expectNothingFor(1000, () => receiver.requests.some(isPausedRequest), 'delivery while paused');
    expect(await statuses(ids)).toEqual(ids.map(() => 'queued'));
    const counts = await queue.counts();
    expect(counts.waiting! + counts.prioritized!).toBe(20);
    expect(counts.active).toBe(0);

    const resumedAt = Date.now();
    await api('/resume').expect(200, { paused: false });
    const hits = await receiver.waitForCount(isPausedRequest, 20, 20000);
    await waitFor(async () => (await statuses(ids)).every((s) => s === 'sent'), { what: 'all 20 sent' });
    expect(new Set(hits.map((h) => String(h.headers['x-webhook-id'])))).toEqual(new Set(ids));
    expect(receiver.requests.filter(isPausedRequest)).toHaveLength(20);
    expect(hits.every((h) => h.receivedAt >= resumedAt)).toBe(true);
  });
});
