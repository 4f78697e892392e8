import { DeliveryState } from '../support/delivery-state';
import { ReceivedRequest, TestReceiver } from '../support/receiver';
import { scaled } from './chaos-report';
import { ChaosStack, LeadBurst } from './chaos-stack';
import {
  acknowledgedWithoutEvent,
  byEvent,
  itLosesNothing,
  readOutcome,
  ScenarioOutcome,
  ScenarioReport,
  tally,
  waitUntilSettled,
} from './nothing-lost';
import { ScriptedReplies, slowOk, webhookAttempt, webhookId } from './scripted-replies';

const EVENTS = scaled(300);
const events = (deliveries: DeliveryState[]) => deliveries.filter((d) => !d.isAlert);
/** Unclaimed and waiting in the queue: `pending` until the relay confirms it a second after commit, then `queued`. */
const WAITING = new Set(['pending', 'queued']);

/**
 * The only worker process gets SIGTERM with a backlog queued and deliveries in flight to a slow
 * receiver: it stops taking jobs, lets the ones in flight finish and records them, and exits.
 * Started again, a worker delivers the backlog. Nothing is left `sending` in between.
 */
describe(`chaos e: SIGTERM of the worker with a backlog of ${EVENTS} events and deliveries in flight`, () => {
  const receiver = new TestReceiver();
  const report = new ScenarioReport('e. SIGTERM worker, restart');
  let stack: ChaosStack | undefined;
  let burst: LeadBurst;
  let exit: Awaited<ReturnType<ChaosStack['terminate']>> | undefined;
  let inFlightAtTerm: ReceivedRequest[] = [];
  let atExit: Map<string, DeliveryState>;
  let outcome: ScenarioOutcome;

  beforeAll(async () => {
    await receiver.start();
    const replies = new ScriptedReplies(receiver, slowOk(300, 600));
    stack = await ChaosStack.start({
      env: {
        N8N_BASE_URL: receiver.url,
        WEBHOOK_RETRY_DELAYS_MS: '500,1000,2000',
        WEBHOOK_TIMEOUT_MS: '5000',
        OUTBOX_RELAY_INTERVAL_MS: '500',
      },
      workerEnv: { WEBHOOK_CONCURRENCY: '20' },
      workers: 1,
    });
    burst = await stack.createLeads(EVENTS);
    await receiver.waitForCount(() => true, Math.ceil(EVENTS / 5), 60000);

    const termAt = Date.now();
    exit = await stack.terminate(stack.workers[0]!);
    inFlightAtTerm = replies.inFlightBetween(termAt, termAt);
    atExit = byEvent((await stack.reader.all()).values());

    stack.spawnWorker();
    await stack.waitForWorkers(1);
    const settled = await waitUntilSettled(stack, () => receiver.requests, events, 90000);
    outcome = await readOutcome(stack, {
      requests: [...receiver.requests],
      accepted: (r) => replies.accepted(r),
      settled,
      expected: events,
    });
    const left = [...atExit.values()].filter((d) => WAITING.has(d.status)).length;
    report.finish(outcome, `${inFlightAtTerm.length} in flight at SIGTERM, ${left} left queued until the restart`);
  }, 240000);

  afterAll(async () => {
    report.write();
    await stack?.stop();
    await receiver.stop();
  });

  it('accepted every lead (201) and committed one event for each', () => {
    expect(burst.created).toHaveLength(EVENTS);
    expect(acknowledgedWithoutEvent(burst.created, outcome)).toEqual([]);
  });

  it('exits on its own after SIGTERM, not killed at the end of the grace period', () => {
    expect(exit).toBeDefined();
    expect(exit!.code === 0 || exit!.signal === 'SIGTERM').toBe(true);
  });

  it('finishes and audits the deliveries in flight at SIGTERM before exiting', () => {
    expect(inFlightAtTerm.length).toBeGreaterThan(0);
    const unfinished = inFlightAtTerm
      .map((r) => ({ r, d: atExit.get(webhookId(r)) }))
      .filter(({ r, d }) => d?.status !== 'sent' || !d.history.some((h) => h.attempt === webhookAttempt(r) && h.outcome === 'sent'))
      .map(({ r, d }) => `${webhookId(r)}: ${d?.status}, history ${JSON.stringify(d?.history)}`);
    expect(unfinished).toEqual([]);
  });

  it('leaves nothing in sending at the exit, and the backlog queued for the next worker', () => {
    const statuses = [...atExit.values()].map((d) => d.status);
    expect(statuses.filter((s) => s === 'sending')).toEqual([]);
    expect(statuses.filter((s) => WAITING.has(s)).length).toBeGreaterThan(0);
  });

  itLosesNothing(() => outcome);

  it('sends nothing twice: a graceful stop re-sends no delivery', () => {
    expect(tally(outcome).duplicates).toBe(0);
  });
});
