import { DeliveryState, UNFINISHED_STATUSES } from '../support/delivery-state';
import { ReceivedRequest } from '../support/receiver';
import { CHAOS_SCALE, reportScenario, ScenarioRow } from './chaos-report';
import { ChaosStack } from './chaos-stack';
import { requestsById, webhookAttempt, webhookId } from './scripted-replies';

/** What a scenario left behind, once the bridge has settled (or the deadline passed). */
export interface ScenarioOutcome {
  /** Ids of the committed events the receiver must get (X-Webhook-Id values). */
  committed: Set<string>;
  /** Every request the receiver got, in arrival order. */
  requests: ReceivedRequest[];
  /** Every webhook_queue row with its audit trail, by event id (one delivery per event: one subscription). */
  deliveries: Map<string, DeliveryState>;
  /** Whether the receiver accepted (2xx) a request. */
  accepted: (r: ReceivedRequest) => boolean;
  /** A request whose sender died waiting for the answer: its attempt may have no audit row. */
  interrupted?: (r: ReceivedRequest) => boolean;
  settled: boolean;
}

/** At most this many problems are listed in a failure message (then how many more). */
const SHOWN = 25;

function listed(problems: string[]): string[] {
  return problems.length <= SHOWN ? problems : [...problems.slice(0, SHOWN), `… and ${problems.length - SHOWN} more`];
}

const isSequence = (numbers: number[]) => numbers.every((n, i) => n === i + 1);

/** Committed events the receiver never got. */
export function unreceived(o: ScenarioOutcome): string[] {
  const got = new Set(o.requests.map(webhookId));
  return [...o.committed].filter((id) => !got.has(id)).sort();
}

/**
 * Attempts that happened but are not audited: each request the receiver got (unless its sender
 * died waiting for the answer) has its attempt in webhook_retry_history; each history row has its
 * outgoing webhook_logs row; a finished row's status is its last attempt's outcome.
 */
export function unauditedAttempts(o: ScenarioOutcome): string[] {
  const problems: string[] = [];
  const received = requestsById(o.requests);
  for (const id of o.committed) {
    const d = o.deliveries.get(id);
    if (!d) {
      problems.push(`${id}: no delivery`);
      continue;
    }
    const history = d.history.map((h) => h.attempt);
    for (const r of received.get(id) ?? []) {
      if (!history.includes(webhookAttempt(r)) && !o.interrupted?.(r))
        problems.push(`${id}: attempt ${webhookAttempt(r)} reached the receiver but has no history row (history [${history.join(',')}])`);
    }
    const sortedHistory = [...history].sort((a, b) => a - b);
    const sortedLogs = [...d.logAttempts].sort((a, b) => a - b);
    if (sortedHistory.join(',') !== sortedLogs.join(','))
      problems.push(`${id}: history attempts [${sortedHistory.join(',')}] but outgoing webhook_logs attempts [${sortedLogs.join(',')}]`);
    const last = d.history[d.history.length - 1];
    if ((d.status === 'sent' || d.status === 'failed') && last?.outcome !== d.status)
      problems.push(`${id}: status ${d.status} but last recorded outcome ${last?.outcome ?? 'none'}`);
  }
  return listed(problems);
}

/** History attempt numbers 1..n in order, no gap, no repeat; webhook_queue.attempts = n. */
export function historyNumberingProblems(o: ScenarioOutcome): string[] {
  const problems: string[] = [];
  for (const id of o.committed) {
    const d = o.deliveries.get(id);
    if (!d) continue;
    const attempts = d.history.map((h) => h.attempt);
    if (!isSequence(attempts)) problems.push(`${id}: history attempts [${attempts.join(',')}], expected 1..${attempts.length}`);
    const max = attempts.length ? Math.max(...attempts) : 0;
    if (d.attempts !== max) problems.push(`${id}: webhook_queue.attempts ${d.attempts}, highest history attempt ${max}`);
  }
  return listed(problems);
}

/** The X-Webhook-Attempt values the receiver saw for one id rise strictly, in arrival order. */
export function attemptHeaderProblems(o: ScenarioOutcome): string[] {
  const problems: string[] = [];
  for (const [id, requests] of requestsById(o.requests)) {
    if (!o.committed.has(id)) continue;
    const seen = requests.map(webhookAttempt);
    if (!seen.every((n, i) => Number.isInteger(n) && n >= 1 && (i === 0 || n > seen[i - 1]!)))
      problems.push(`${id}: X-Webhook-Attempt values in arrival order [${seen.join(',')}]`);
  }
  return listed(problems);
}

/** Deliveries not finished: still pending, queued, sending or retrying. */
export function unfinished(o: ScenarioOutcome): string[] {
  return listed([...o.deliveries.values()].filter((d) => UNFINISHED_STATUSES.includes(d.status)).map((d) => `${d.eventId}: ${d.status}`));
}

/** Leads the API answered 201 for whose lead_scraped delivery is not among the committed ones. */
export function acknowledgedWithoutEvent(leadIds: string[], o: ScenarioOutcome): string[] {
  const withEvent = new Set(
    [...o.committed].map((id) => o.deliveries.get(id)).flatMap((d) => (d?.eventType === 'lead_scraped' ? [d.entityId] : [])),
  );
  return listed(leadIds.filter((id) => !withEvent.has(id)));
}

export interface Tally {
  committed: number;
  received: number;
  distinct: number;
  duplicates: number;
  lost: number;
}

/** The counts of the report table, for the committed deliveries. */
export function tally(o: ScenarioOutcome): Tally {
  const mine = o.requests.filter((r) => o.committed.has(webhookId(r)));
  const distinct = new Set(mine.map(webhookId));
  const acceptedPerId = new Map<string, number>();
  for (const r of mine) if (o.accepted(r)) acceptedPerId.set(webhookId(r), (acceptedPerId.get(webhookId(r)) ?? 0) + 1);
  const duplicates = [...acceptedPerId.values()].reduce((sum, n) => sum + n - 1, 0);
  return {
    committed: o.committed.size,
    received: mine.length,
    distinct: distinct.size,
    duplicates,
    lost: o.committed.size - distinct.size,
  };
}

/**
 * Waits until every delivery is finished, every one of `expected()` was received and BullMQ has
 * nothing waiting, active or delayed. Resolves false at the deadline instead of throwing: the
 * invariant tests then say what is missing.
 */
export async function waitUntilSettled(
  stack: ChaosStack,
  received: () => ReceivedRequest[],
  expected: (deliveries: DeliveryState[]) => DeliveryState[],
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const done = await isSettled(stack, received, expected).catch(() => false);
    if (done) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function isSettled(
  stack: ChaosStack,
  received: () => ReceivedRequest[],
  expected: (deliveries: DeliveryState[]) => DeliveryState[],
): Promise<boolean> {
  if ((await stack.reader.unfinished()) > 0) return false;
  const got = new Set(received().map(webhookId));
  if (!expected([...(await stack.reader.all()).values()]).every((d) => got.has(d.eventId))) return false;
  const counts = await stack.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed');
  return Object.values(counts).every((n) => n === 0);
}

/** Deliveries by event id; the scenarios send every event to one receiver, so two deliveries of one event are a mistake. */
export function byEvent(deliveries: Iterable<DeliveryState>): Map<string, DeliveryState> {
  const map = new Map<string, DeliveryState>();
  for (const d of deliveries) {
    if (map.has(d.eventId)) throw new Error(`Event ${d.eventId} has several deliveries: these scenarios expect one subscription`);
    map.set(d.eventId, d);
  }
  return map;
}

/** Reads the outcome of a scenario: the committed events are those of the deliveries `expected` picks. */
export async function readOutcome(
  stack: ChaosStack,
  options: Omit<ScenarioOutcome, 'committed' | 'deliveries'> & { expected: (deliveries: DeliveryState[]) => DeliveryState[] },
): Promise<ScenarioOutcome> {
  const deliveries = byEvent((await stack.reader.all()).values());
  const committed = new Set(options.expected([...deliveries.values()]).map((d) => d.eventId));
  return { ...options, committed, deliveries };
}

/** Times a scenario and adds its row to the suite's table (also when it did not get to the end). */
export class ScenarioReport {
  private readonly started = Date.now();
  private row?: Omit<ScenarioRow, 'scenario' | 'scale'>;

  constructor(private readonly scenario: string) {}

  /** Call when the scenario has settled (or its deadline passed); `note` goes into the table. */
  finish(outcome: ScenarioOutcome, note?: string): Tally {
    const counts = tally(outcome);
    const notes = [note, outcome.settled ? undefined : 'did not settle in time'].filter(Boolean).join('; ');
    this.row = { ...counts, seconds: (Date.now() - this.started) / 1000, ...(notes && { note: notes }) };
    return counts;
  }

  /** From afterAll. */
  write(): void {
    const row = this.row ?? {
      committed: 0,
      received: 0,
      distinct: 0,
      duplicates: 0,
      lost: 0,
      seconds: (Date.now() - this.started) / 1000,
      note: 'aborted before the end',
    };
    reportScenario({ scenario: this.scenario, scale: CHAOS_SCALE, ...row });
  }
}

/**
 * The "nothing lost" tests every scenario shares, run against its outcome once its beforeAll has
 * broken things and the bridge has settled.
 */
export function itLosesNothing(outcome: () => ScenarioOutcome): void {
  it('delivers every committed event at least once', () => {
    const o = outcome();
    expect(o.committed.size).toBeGreaterThan(0);
    expect(listed(unreceived(o))).toEqual([]);
  });

  it('receives exactly the committed ids: the set of X-Webhook-Id values equals the set of committed events', () => {
    const o = outcome();
    expect([...new Set(o.requests.map(webhookId))].sort()).toEqual([...o.committed].sort());
  });

  it('audits every finished attempt in webhook_retry_history and webhook_logs', () => {
    expect(unauditedAttempts(outcome())).toEqual([]);
  });

  it('numbers the attempts of each delivery 1..n in its history, and webhook_queue.attempts is n', () => {
    expect(historyNumberingProblems(outcome())).toEqual([]);
  });

  it('sends X-Webhook-Attempt values that rise with every request of a delivery', () => {
    expect(attemptHeaderProblems(outcome())).toEqual([]);
  });

  it('leaves nothing in sending: every delivery finished', () => {
    const o = outcome();
    expect(unfinished(o)).toEqual([]);
    expect(o.settled).toBe(true);
  });
}
