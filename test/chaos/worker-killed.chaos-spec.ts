import { DeliveryState } from '../support/delivery-state';
import { ReceivedRequest, TestReceiver } from '../support/receiver';
import { scaled } from './chaos-report';
import { ChaosStack, LeadBurst } from './chaos-stack';
import { acknowledgedWithoutEvent, itLosesNothing, readOutcome, ScenarioOutcome, ScenarioReport, waitUntilSettled } from './nothing-lost';
import { ScriptedReplies, slowOk, webhookAttempt, webhookId } from './scripted-replies';

const EVENTS = scaled(400);
const events = (deliveries: DeliveryState[]) => deliveries.filter((d) => !d.isAlert);
/** How long after an answer a worker may still be writing the attempt down (group commit). */
const RECORDING_GRACE_MS = 2000;

/**
 * A worker process dies (SIGKILL) in the middle of a burst, with POSTs in flight to a slow
 * receiver. Its jobs stay locked in Redis until BullMQ's lock expires (WORKER_LOCK_MS, 10 s here)
 * and the surviving worker's stalled-job check (every WORKER_LOCK_MS / 2) runs them again:
 * redelivery within 1.5 × WORKER_LOCK_MS of the kill (docs/events.md, "Attempts").
 */
describe(`chaos a: SIGKILL of one of two workers during a burst of ${EVENTS} events`, () => {
  const receiver = new TestReceiver();
  const report = new ScenarioReport(`a. SIGKILL 1 of 2 workers`);
  let stack: ChaosStack | undefined;
  let burst: LeadBurst;
  let inFlightAtKill: ReceivedRequest[] = [];
  let killedAt = 0;
  let outcome: ScenarioOutcome;

  beforeAll(async () => {
    await receiver.start();
    const replies = new ScriptedReplies(receiver, slowOk(200, 500));
    stack = await ChaosStack.start({
      env: {
        N8N_BASE_URL: receiver.url,
        WEBHOOK_RETRY_DELAYS_MS: '500,1000,2000',
        WEBHOOK_TIMEOUT_MS: '5000',
        OUTBOX_RELAY_INTERVAL_MS: '500',
        WORKER_LOCK_MS: '10000',
      },
      workerEnv: { WEBHOOK_CONCURRENCY: '10' },
      workers: 2,
    });
    const producing = stack.createLeads(EVENTS);
    await receiver.waitForCount(() => true, Math.ceil(EVENTS / 4), 60000);

    const killing = Date.now();
    await stack.kill(stack.workers[0]!);
    killedAt = Date.now();
    inFlightAtKill = replies.inFlightBetween(killing, killedAt);
    // The victim may also have died after an answer came but before its attempt was written down.
    const unrecordable = new Set(replies.inFlightBetween(killing - RECORDING_GRACE_MS, killedAt));
    burst = await producing;

    const settled = await waitUntilSettled(stack, () => receiver.requests, events, 150000);
    outcome = await readOutcome(stack, {
      requests: [...receiver.requests],
      accepted: (r) => replies.accepted(r),
      // Exempt from "every finished attempt audited": only those the kill caught, which are then sent again.
      interrupted: (r) =>
        unrecordable.has(r) && receiver.requests.some((again) => webhookId(again) === webhookId(r) && again.receivedAt > killedAt),
      settled,
      expected: events,
    });
    const firstRedelivery = receiver.requests.find(
      (r) => r.receivedAt > killedAt && inFlightAtKill.some((i) => webhookId(i) === webhookId(r)),
    );
    report.finish(
      outcome,
      firstRedelivery
        ? `killed worker's jobs re-run ${((firstRedelivery.receivedAt - killedAt) / 1000).toFixed(1)} s after the kill`
        : undefined,
    );
  }, 300000);

  afterAll(async () => {
    report.write();
    await stack?.stop();
    await receiver.stop();
  });

  it('accepted every lead of the burst (201) and committed one event for each', () => {
    expect(burst.statuses.filter((s) => s !== 201)).toEqual([]);
    expect(burst.created).toHaveLength(EVENTS);
    expect(acknowledgedWithoutEvent(burst.created, outcome)).toEqual([]);
  });

  itLosesNothing(() => outcome);

  it('redelivers each delivery whose POST was in flight in the killed worker, with X-Webhook-Attempt: 2', () => {
    expect(inFlightAtKill.length).toBeGreaterThan(0);
    const redelivered = [...new Set(inFlightAtKill.map(webhookId))]
      .map((id) => ({ id, attempts: receiver.requests.filter((r) => webhookId(r) === id).map(webhookAttempt) }))
      .filter((d) => d.attempts.length > 1);
    expect(redelivered.length).toBeGreaterThan(0);
    expect(redelivered).toEqual(redelivered.map(({ id }) => ({ id, attempts: [1, 2] })));
  });
});
