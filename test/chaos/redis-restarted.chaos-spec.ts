import { DeliveryState } from '../support/delivery-state';
import { TestReceiver } from '../support/receiver';
import { RedisProcess } from '../support/redis-process';
import { scaled } from './chaos-report';
import { ChaosStack, LeadBurst } from './chaos-stack';
import { acknowledgedWithoutEvent, itLosesNothing, readOutcome, ScenarioOutcome, ScenarioReport, waitUntilSettled } from './nothing-lost';
import { ScriptedReplies, slowOk } from './scripted-replies';

const EVENTS = scaled(400);
const events = (deliveries: DeliveryState[]) => deliveries.filter((d) => !d.isAlert);

/**
 * The bridge's Redis (a redis-server of this test's own, without persistence) is killed in the
 * middle of a burst and started again empty: every job, every lock, every key is gone. Leads
 * keep being committed meanwhile (the outbox is in Postgres); once Redis is back, the outbox
 * relay (OUTBOX_RELAY_INTERVAL_MS) publishes what was never queued and re-queues what Redis lost.
 */
describe(`chaos b: Redis killed and restarted empty during a burst of ${EVENTS} events`, () => {
  const receiver = new TestReceiver();
  const redis = new RedisProcess();
  const report = new ScenarioReport('b. Redis killed, restarted empty');
  let stack: ChaosStack | undefined;
  const bursts: Record<'before' | 'outage' | 'after', LeadBurst> = {} as never;
  let queuedAtRestart: string[] = [];
  let restartStartedAt = 0;
  let outcome: ScenarioOutcome;

  beforeAll(async () => {
    await Promise.all([receiver.start(), redis.start()]);
    const replies = new ScriptedReplies(receiver, slowOk(100, 300));
    stack = await ChaosStack.start({
      env: {
        N8N_BASE_URL: receiver.url,
        REDIS_URL: redis.url,
        WEBHOOK_RETRY_DELAYS_MS: '500,1000,2000',
        WEBHOOK_TIMEOUT_MS: '5000',
        OUTBOX_RELAY_INTERVAL_MS: '200',
      },
      workerEnv: { WEBHOOK_CONCURRENCY: '5' },
      workers: 2,
    });
    const half = Math.ceil(EVENTS / 2);
    const quarter = Math.ceil(EVENTS / 4);
    // The receiver is slower than the burst: a backlog of queued jobs builds up in Redis.
    bursts.before = await stack.createLeads(half, { tag: 'before' });
    await receiver.waitForCount(() => true, Math.ceil(EVENTS / 8), 60000);

    await redis.kill();
    // Waiting in the queue when Redis died: unclaimed rows, `pending` (a worker claims rows as they
    // are, the relay marks those still unclaimed a second later `queued`) or `queued`.
    queuedAtRestart = await stack.reader.idsWithStatus(['pending', 'queued']);
    bursts.outage = await stack.createLeads(quarter, { concurrency: 4, tag: 'outage' });
    restartStartedAt = Date.now();
    await redis.start();
    bursts.after = await stack.createLeads(EVENTS - half - quarter, { tag: 'after' });

    const settled = await waitUntilSettled(stack, () => receiver.requests, events, 90000);
    outcome = await readOutcome(stack, {
      requests: [...receiver.requests],
      accepted: (r) => replies.accepted(r),
      settled,
      expected: events,
    });
    report.finish(outcome, `${queuedAtRestart.length} queued jobs lost with Redis`);
  }, 240000);

  afterAll(async () => {
    report.write();
    await stack?.stop();
    await Promise.all([receiver.stop(), redis.stop()]);
  });

  it('keeps accepting leads (201) while Redis is down, and commits one event for each accepted lead', () => {
    expect(bursts.outage.statuses.filter((s) => s !== 201)).toEqual([]);
    const created = [...bursts.before.created, ...bursts.outage.created, ...bursts.after.created];
    expect(created).toHaveLength(EVENTS);
    expect(acknowledgedWithoutEvent(created, outcome)).toEqual([]);
  });

  itLosesNothing(() => outcome);

  it('re-queues, after the restart, the deliveries whose jobs died with Redis', async () => {
    expect(queuedAtRestart.length).toBeGreaterThan(0);
    const rows = await stack!.reader.query<{ id: string; republished: boolean }>(
      `SELECT id, published_at >= to_timestamp($2::float / 1000) AS republished FROM webhook_queue WHERE id = ANY($1::uuid[])`,
      [queuedAtRestart, restartStartedAt],
    );
    expect(rows.filter((r) => !r.republished).map((r) => r.id)).toEqual([]);
    expect(rows).toHaveLength(queuedAtRestart.length);
  });
});
