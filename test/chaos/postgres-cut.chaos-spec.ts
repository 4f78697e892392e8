import { DeliveryState } from '../support/delivery-state';
import { TestReceiver } from '../support/receiver';
import { TcpProxy } from '../support/tcp-proxy';
import { scaled } from './chaos-report';
import { ChaosStack, LeadBurst } from './chaos-stack';
import { acknowledgedWithoutEvent, itLosesNothing, readOutcome, ScenarioOutcome, ScenarioReport, waitUntilSettled } from './nothing-lost';
import { ScriptedReplies, slowOk } from './scripted-replies';

const EVENTS = scaled(400);
/**
 * How long Postgres stays unreachable (CHAOS_PG_OUTAGE_MS). The default stays below the sum of
 * the retry delays used here (3.5 s).
 */
const OUTAGE_MS = Number(process.env.CHAOS_PG_OUTAGE_MS ?? '3000');
const events = (deliveries: DeliveryState[]) => deliveries.filter((d) => !d.isAlert);

/**
 * The bridge (api app and both workers) reaches Postgres through a TCP proxy. Mid-burst, every
 * backend of the bridge is terminated (pg_terminate_backend), then the proxy is cut: every
 * connection drops and new ones are refused for OUTAGE_MS. The API must answer 503 meanwhile;
 * deliveries in flight must still be audited once the database is back, and nothing is lost.
 */
describe(`chaos c: Postgres cut for ${OUTAGE_MS} ms and backends terminated during a burst of ${EVENTS} events`, () => {
  const receiver = new TestReceiver();
  const report = new ScenarioReport('c. Postgres cut + backends killed');
  let proxy: TcpProxy | undefined;
  let stack: ChaosStack | undefined;
  let during: LeadBurst;
  let after: LeadBurst;
  let terminated = 0;
  let connectionsAtCut = 0;
  const probes: { status: number; retryAfter?: string | null }[] = [];
  let outcome: ScenarioOutcome;

  beforeAll(async () => {
    await receiver.start();
    const replies = new ScriptedReplies(receiver, slowOk(50, 150));
    const pg = await new TcpProxy('127.0.0.1', 5432).start();
    proxy = pg;
    stack = await ChaosStack.start({
      env: {
        N8N_BASE_URL: receiver.url,
        WEBHOOK_RETRY_DELAYS_MS: '500,1000,2000',
        WEBHOOK_TIMEOUT_MS: '5000',
        OUTBOX_RELAY_INTERVAL_MS: '200',
      },
      workerEnv: { WEBHOOK_CONCURRENCY: '10' },
      workers: 2,
      bridgeDatabaseUrl: (direct) => {
        direct.host = pg.address;
        return direct.toString();
      },
    });
    const producing = stack.createLeads(Math.ceil((EVENTS * 3) / 4), { tag: 'during', retryUnavailable: true });

    await receiver.waitForCount(() => true, Math.ceil(EVENTS / 8), 60000);
    terminated = await stack.reader.terminateOtherBackends(stack.database.name);

    await receiver.waitForCount(() => true, Math.ceil(EVENTS / 4), 60000);
    connectionsAtCut = pg.openConnections();
    await pg.cut();
    const cutAt = Date.now();
    while (Date.now() - cutAt < OUTAGE_MS) {
      const { status, retryAfter } = await stack.postLead({ title: 'probe', url: `https://ads.example/probe/${probes.length}-${cutAt}` });
      probes.push({ status, retryAfter });
      await new Promise((r) => setTimeout(r, 200));
    }
    await pg.restore();
    during = await producing;
    after = await stack.createLeads(EVENTS - Math.ceil((EVENTS * 3) / 4), { tag: 'after' });

    const settled = await waitUntilSettled(stack, () => receiver.requests, events, 60000);
    outcome = await readOutcome(stack, {
      requests: [...receiver.requests],
      accepted: (r) => replies.accepted(r),
      settled,
      expected: events,
    });
    const refused = during.statuses.filter((s) => s === 503).length + probes.length;
    report.finish(
      outcome,
      `${terminated} backends terminated, ${connectionsAtCut} connections cut, ${refused} POSTs answered 503 meanwhile`,
    );
  }, 240000);

  afterAll(async () => {
    report.write();
    await stack?.stop();
    await proxy?.stop();
    await receiver.stop();
  });

  it('terminated the bridge backends and cut its open connections mid-burst', () => {
    expect(terminated).toBeGreaterThan(0);
    expect(connectionsAtCut).toBeGreaterThan(0);
  });

  it('answers 503 with Retry-After while Postgres is unreachable', () => {
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.filter((p) => p.status !== 503 || !p.retryAfter)).toEqual([]);
  });

  it('accepts leads again once Postgres is back, and committed an event for every lead it acknowledged', () => {
    expect(after.statuses.filter((s) => s !== 201)).toEqual([]);
    expect(acknowledgedWithoutEvent([...during.created, ...after.created], outcome)).toEqual([]);
  });

  itLosesNothing(() => outcome);
});
