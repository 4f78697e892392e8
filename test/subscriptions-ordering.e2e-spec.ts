import { randomUUID } from 'node:crypto';
import { OutboxService } from '../src/outbox/outbox.service';
import { QueueStatsService } from '../src/operations/queue-stats.service';
import { TestReceiver } from './support/receiver';
import { addSubscription } from './support/subscriptions';
import { startTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

const ENTITIES = 50;
const PER_ENTITY = 40; // 2,000 events

/**
 * Ordered delivery: for one `per_entity` subscription and one entity, a delivery is POSTed only
 * once the previous one is final, so the receiver sees each entity's events in commit order —
 * even when it answers 503 (or 429 with Retry-After) to a random share of requests.
 */
describe('subscriptions: ordered delivery per entity', () => {
  const ordered = new TestReceiver();
  const unordered = new TestReceiver();
  let t: TestApp;

  beforeAll(async () => {
    await Promise.all([ordered.start(), unordered.start()]);
    t = await startTestApp({
      N8N_BASE_URL: 'http://127.0.0.1:9',
      N8N_DISABLED_EVENTS: 'lead_qualified', // the built-in subscription stays out of this test
      WEBHOOK_RETRY_DELAYS_MS: '50,100,100,200,200,200,200,200,200,200,200,200',
      WEBHOOK_TIMEOUT_MS: '2000',
      WEBHOOK_CONCURRENCY: '50',
      CIRCUIT_COOLDOWN_MS: '200',
    });
  }, 60_000);
  afterAll(async () => {
    await (t as TestApp | undefined)?.close();
    await Promise.all([ordered.stop(), unordered.stop()]);
  });

  it('2,000 events over 50 entities against a flaky receiver: every entity in commit order, none lost; a `none` subscription gets them all too', async () => {
    // A random 20 % of requests get 503, and 2 % a 429 with Retry-After: 1; the rest 200 after 0–5 ms.
    const flaky = (): ReturnType<Parameters<TestReceiver['respondWith']>[0]> => {
      const roll = Math.random();
      if (roll < 0.2) return { status: 503 };
      if (roll < 0.22) return { status: 429, headers: { 'retry-after': '1' } };
      return { status: 200, delayMs: Math.floor(Math.random() * 5) };
    };
    ordered.respondWith(flaky);
    unordered.respondWith(flaky);
    await addSubscription(t, { name: 'ordered', url: `${ordered.url}/o`, eventTypes: ['lead_qualified'], ordering: 'per_entity' });
    await addSubscription(t, { name: 'unordered', url: `${unordered.url}/u`, eventTypes: ['lead_qualified'] });

    const entities = Array.from({ length: ENTITIES }, () => randomUUID());
    const committed = new Map<string, string[]>(entities.map((e) => [e, []]));
    const outbox = t.app.get(OutboxService);
    const started = Date.now();
    // Round k commits event k of every entity, one transaction per entity, all 50 concurrently:
    // per entity, the commit order is the round order.
    for (let k = 0; k < PER_ENTITY; k++) {
      await Promise.all(
        entities.map(async (entity) => {
          const [envelope] = await t.dataSource.transaction((manager) =>
            outbox.record([{ type: 'lead_qualified', entity: { type: 'lead', id: entity }, data: { seq: k } }], manager),
          );
          committed.get(entity)!.push(envelope!.id);
        }),
      );
    }
    const total = ENTITIES * PER_ENTITY;

    const delivered = (r: TestReceiver) =>
      new Set(r.requests.filter((q) => q.answered === 200).map((q) => q.headers['x-webhook-id'] as string));
    await waitFor(() => delivered(ordered).size === total || undefined, {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: `${total} ordered deliveries`,
    });
    const orderedMs = Date.now() - started;
    await waitFor(() => delivered(unordered).size === total || undefined, {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: `${total} unordered deliveries`,
    });
    const unorderedDoneMs = Date.now() - started;

    // None lost: the ids received equal the ids committed.
    const all = [...committed.values()].flat();
    expect([...delivered(ordered)].sort()).toEqual([...all].sort());
    expect([...delivered(unordered)].sort()).toEqual([...all].sort());

    // In order: per entity, the requests (all of them, retries included) run through the committed
    // ids in order; event k+1 is never sent before event k got its 200.
    let violations = 0;
    for (const [entity, ids] of committed) {
      const requests = ordered.requests.filter((q) => q.body?.entity?.id === entity);
      let head = 0;
      for (const req of requests) {
        const id = req.headers['x-webhook-id'] as string;
        if (id !== ids[head]) violations++;
        if (req.answered === 200) head++;
      }
      expect({ entity, delivered: head }).toEqual({ entity, delivered: ids.length });
    }
    expect(violations).toBe(0);
    const retried = ordered.requests.filter((q) => q.answered !== 200).length;
    expect(retried).toBeGreaterThan(total * 0.1); // the faults did happen

    // The unordered subscription, on the same events and faults, sends out of order somewhere (it has no reason not to).
    let unorderedInversions = 0;
    for (const [entity, ids] of committed) {
      const rank = new Map(ids.map((id, i) => [id, i]));
      const firsts = unordered.requests
        .filter((q) => q.body?.entity?.id === entity && q.answered === 200)
        .map((q) => rank.get(q.headers['x-webhook-id'] as string)!);
      for (let i = 1; i < firsts.length; i++) if (firsts[i]! < firsts[i - 1]!) unorderedInversions++;
    }
    // Nothing is left blocked once everything is delivered.
    const stats = await t.app.get(QueueStatsService).stats();
    expect(stats.ordering).toMatchObject({ blocked_deliveries: 0, blocked_entities: 0, oldest_blocked: null });
    console.log(
      `ordered delivery: ${total} events, ${retried} refused attempts, per_entity done in ${orderedMs} ms, none done at ${unorderedDoneMs} ms, ` +
        `${unorderedInversions} out-of-order receipts on the none subscription, 0 on per_entity`,
    );
  }, 200_000);
});
