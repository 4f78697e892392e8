import { byEvent, itLosesNothing, ScenarioOutcome, ScenarioReport, tally } from '../chaos/nothing-lost';
import { ScriptedReplies, slowOk, webhookId } from '../chaos/scripted-replies';
import { UNFINISHED_STATUSES } from '../support/delivery-state';
import { ReceivedRequest, signatureVerifies, TestReceiver } from '../support/receiver';
import { KilledMaster } from '../support/redis-cluster';
import { ClusterStack } from './cluster-stack';
import { EntityEvents } from './entity-events';
import { ChainedDelivery, chainedDeliveries, orderProblems, partitionSpread, PartitionSpread } from './partition-checks';

const PARTITIONS = 6;
const ENTITIES = 500;
/** 500 leads × 40 = 20,000 events. */
const EVENTS_PER_ENTITY = 40;
/** The failover burst: 500 leads × 6 = 3,000 events, the master killed once a third is in. */
const FAILOVER_EVENTS_PER_ENTITY = 6;
const LEAD_EVENTS = ['lead_scraped', 'lead_qualified', 'lead_responded'];

interface Scenario {
  events: EntityEvents;
  deliveries: ChainedDelivery[];
  outcome: ScenarioOutcome;
  spread: PartitionSpread;
  order: ReturnType<typeof orderProblems>;
  unsigned: number;
}

/**
 * Scale-out on a real Redis Cluster: 3 masters with a replica each (scripts/redis-cluster.sh),
 * 2 api and 3 worker processes, QUEUE_PARTITIONS=6, one `per_entity` subscription. Events are
 * raised through the api processes' HTTP API (a lead's requests alternate between them); every
 * committed event must reach the receiver, signed, in its lead's commit order, through the
 * partition its (subscription, lead) hashes to.
 */
describe(`cluster: 2 api + 3 worker processes on a 3-master Redis Cluster, QUEUE_PARTITIONS=${PARTITIONS}`, () => {
  const receiver = new TestReceiver();
  let stack: ClusterStack | undefined;
  let subscription: { id: string; secret: string };

  beforeAll(async () => {
    await receiver.start();
    stack = await ClusterStack.start({
      env: {
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
        // The built-in subscription takes none of these events (alerts only, at their own path).
        N8N_BASE_URL: `${receiver.url}/built-in`,
        N8N_DISABLED_EVENTS: LEAD_EVENTS.join(','),
        WEBHOOK_RETRY_DELAYS_MS: '200,500,1000,2000,2000',
        WEBHOOK_TIMEOUT_MS: '5000',
        OUTBOX_RELAY_INTERVAL_MS: '1000',
        DB_POOL_SIZE: '8',
      },
      workerEnv: { WEBHOOK_CONCURRENCY: '20' },
      apis: 2,
      workers: 3,
      partitions: PARTITIONS,
    });
    const created = await stack.request(0, 'POST', '/api/v1/webhooks/subscriptions', {
      name: 'ordered',
      url: `${receiver.url}/ordered/{event}`,
      event_types: LEAD_EVENTS,
      ordering: 'per_entity',
    });
    if (created.status !== 201) throw new Error(`Creating the subscription answered ${created.status}: ${JSON.stringify(created.body)}`);
    subscription = { id: created.body.id, secret: created.body.secret };
  }, 150000);

  afterAll(async () => {
    await stack?.stop();
    await receiver.stop();
  });

  /**
   * Runs a burst to the end (`fault` runs alongside it), waits for the bridge to settle and reads
   * what it left behind; `note` (once settled) adds to the report's note.
   */
  async function runScenario(
    report: ScenarioReport,
    events: EntityEvents,
    accepted: (r: ReceivedRequest) => boolean,
    { fault, note }: { fault?: () => Promise<void>; note?: () => Promise<string> } = {},
  ): Promise<Scenario> {
    const s = stack;
    if (!s) throw new Error('The cluster stack did not start (see the first failure)');
    await Promise.all([events.run(), fault?.()]);
    const leads = new Set(events.leads);
    const mine = () => receiver.requests.filter((r) => r.path.startsWith('/ordered/') && leads.has(r.body?.entity?.id));
    const ofBurst = async () => (await chainedDeliveries(s.reader, subscription.id)).filter((d) => leads.has(d.entityId));
    const settled = await waitUntilSettled(s, mine, ofBurst, 120000);
    const deliveries = await ofBurst();
    const ids = new Set(deliveries.map((d) => d.id));
    const requests = mine();
    const outcome: ScenarioOutcome = {
      committed: new Set(deliveries.map((d) => d.eventId)),
      requests,
      deliveries: byEvent([...(await s.reader.all()).values()].filter((d) => ids.has(d.id))),
      accepted,
      settled,
    };
    const spread = partitionSpread(await s.completedJobIds(), deliveries);
    const order = orderProblems(deliveries, requests, accepted);
    const unsigned = requests.filter((r) => !signatureVerifies(r, subscription.secret)).length;
    const notes = [
      events.refused ? `${events.refused} requests refused and sent again` : '',
      `per partition ${spread.perPartition.join('/')}`,
      order.redeliveries ? `${order.redeliveries} redeliveries` : '',
      (await note?.()) ?? '',
    ];
    report.finish(outcome, notes.filter(Boolean).join('; '));
    return { events, deliveries, outcome, spread, order, unsigned };
  }

  /** The checks both scenarios share: order, signatures, partitions. */
  function itDeliversInOrderThroughEveryPartition(scenario: () => Scenario): void {
    it('committed one event per request: leads × events per lead', () => {
      const { events, outcome } = scenario();
      expect(events.leads).toHaveLength(ENTITIES);
      expect(outcome.committed.size).toBe(events.expected);
    });

    it("delivers each lead's events in its commit order: none sent before its predecessor was accepted", () => {
      expect(scenario().order.problems).toEqual([]);
    });

    it('signs every request with the subscription secret', () => {
      const { outcome, unsigned } = scenario();
      expect(outcome.requests.length).toBeGreaterThan(0);
      expect(unsigned).toBe(0);
    });

    it(`runs the deliveries through all ${PARTITIONS} partitions, each lead's through one`, () => {
      const { spread, deliveries } = scenario();
      expect(spread.notFound).toBe(0);
      expect(spread.perPartition.reduce((a, b) => a + b, 0)).toBe(deliveries.length);
      expect(spread.perPartition.filter((n) => n === 0)).toEqual([]);
      expect(spread.splitEntities).toEqual([]);
      expect(spread.misplaced).toEqual([]);
    });
  }

  describe(`a. ${ENTITIES * EVENTS_PER_ENTITY} events over ${ENTITIES} leads, no fault`, () => {
    let report: ScenarioReport | undefined;
    let scenario: Scenario;

    beforeAll(async () => {
      report = new ScenarioReport(`cluster a. ${ENTITIES * EVENTS_PER_ENTITY} events, no fault`);
      receiver.reset();
      const events = new EntityEvents(stack!, { entities: ENTITIES, eventsPerEntity: EVENTS_PER_ENTITY, concurrency: 48, tag: 'a' });
      scenario = await runScenario(report, events, (r) => r.answered === 200);
    }, 600000);

    afterAll(() => report?.write());

    it('answered every request 201 (a lead) or 200 (a change); at most a 503 "retry later" when overloaded', () => {
      expect(scenario.events.refusals.filter((r) => r.status !== 503)).toEqual([]);
      expect([...scenario.events.statuses.keys()].filter((s) => s !== 503).sort()).toEqual([200, 201]);
    });

    itLosesNothing(() => scenario.outcome);

    it('receives every event exactly once: no duplicates without faults', () => {
      const counts = tally(scenario.outcome);
      expect(counts).toMatchObject({ duplicates: 0, lost: 0 });
      expect(counts.received).toBe(counts.committed);
    });

    itDeliversInOrderThroughEveryPartition(() => scenario);
  });

  describe(`b. a master killed (its replica promoted) during a burst of ${ENTITIES * FAILOVER_EVENTS_PER_ENTITY} events`, () => {
    let report: ScenarioReport | undefined;
    let scenario: Scenario;
    let killed: KilledMaster | undefined;
    let failoverMs = 0;
    let killedAfter = 0;

    beforeAll(async () => {
      report = new ScenarioReport('cluster b. master killed, replica promoted');
      receiver.reset();
      const replies = new ScriptedReplies(receiver, slowOk(5, 30));
      const events = new EntityEvents(stack!, {
        entities: ENTITIES,
        eventsPerEntity: FAILOVER_EVENTS_PER_ENTITY,
        concurrency: 48,
        tag: 'b',
      });
      scenario = await runScenario(report, events, (r) => replies.accepted(r), {
        fault: async () => {
          while (events.done < events.expected / 3) await new Promise((r) => setTimeout(r, 20));
          killedAfter = events.done;
          killed = await stack!.redis.killMaster(1);
          failoverMs = await stack!.redis.waitForFailover(killed);
        },
        note: async () => {
          const { port, at } = killed!;
          const [late] = await stack!.reader.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM webhook_queue WHERE subscription_id = $1 AND created_at < to_timestamp($2::float / 1000)
              AND published_at > to_timestamp($2::float / 1000)`,
            [subscription.id, at + failoverMs],
          );
          return (
            `master :${port} SIGKILLed at ${killedAfter} requests, replica promoted in ${(failoverMs / 1000).toFixed(1)} s, ` +
            `${late?.n ?? 0} deliveries committed before then queued after it`
          );
        },
      });
    }, 300000);

    afterAll(() => report?.write());

    it('kills a master mid-burst and a replica takes over its slots', async () => {
      expect(killed).toBeDefined();
      expect(scenario.events.done).toBeGreaterThanOrEqual(scenario.events.expected);
      expect((await stack!.redis.masters()).map((m) => m.port)).not.toContain(killed!.port);
      expect(failoverMs).toBeLessThan(15000);
    });

    itLosesNothing(() => scenario.outcome);

    itDeliversInOrderThroughEveryPartition(() => scenario);
  });
});

/**
 * Waits until no delivery is unfinished, every delivery of the burst was received and no partition
 * has a job left. Resolves false at the deadline instead of throwing: the tests then say what is missing.
 */
async function waitUntilSettled(
  stack: ClusterStack,
  received: () => ReceivedRequest[],
  deliveries: () => Promise<ChainedDelivery[]>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const done = await isSettled(stack, received, deliveries).catch(() => false);
    if (done) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function isSettled(
  stack: ClusterStack,
  received: () => ReceivedRequest[],
  deliveries: () => Promise<ChainedDelivery[]>,
): Promise<boolean> {
  const counts = await stack.reader.statusCounts();
  if (UNFINISHED_STATUSES.some((status) => (counts[status] ?? 0) > 0)) return false;
  const got = new Set(received().map(webhookId));
  if (!(await deliveries()).every((d) => got.has(d.eventId))) return false;
  return stack.queuesIdle();
}
