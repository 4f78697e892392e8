import { createHmac } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { Demo } from '../src/domain/demos/demo.entity';
import { Lead } from '../src/domain/leads/lead.entity';
import { SecretCipher } from '../src/subscriptions/secret-cipher';
import { BUILT_IN_SUBSCRIPTION_ID } from '../src/subscriptions/subscription.entity';
import { SubscriptionRepository } from '../src/subscriptions/subscription.repository';
import { TriggerService } from '../src/triggers/trigger.service';
import { spawnBridge } from './support/bridge-process';
import { ReceivedRequest, signatureCount, signatureVerifies, TestReceiver } from './support/receiver';
import { addSubscription } from './support/subscriptions';
import { baseTestEnv, startTestApp, TestApp, TEST_WEBHOOK_SECRET } from './support/test-app';
import { waitFor } from './support/wait';

interface DeliveryRow {
  id: string;
  event_id: string;
  subscription_id: string;
  status: string;
  attempts: number;
  last_error: string | null;
}

describe('subscriptions: fan-out, filters, templates, secrets', () => {
  const builtIn = new TestReceiver();
  const a = new TestReceiver();
  const b = new TestReceiver();
  const c = new TestReceiver();
  let t: TestApp;

  beforeAll(async () => {
    await Promise.all([builtIn.start(), a.start(), b.start(), c.start()]);
    t = await startTestApp({
      N8N_BASE_URL: builtIn.url,
      WEBHOOK_RETRY_DELAYS_MS: '300,300,300,300,300',
      WEBHOOK_TIMEOUT_MS: '1000',
      CIRCUIT_FAILURE_THRESHOLD: '0',
      OUTBOX_RELAY_INTERVAL_MS: '200',
    });
  });
  afterAll(async () => {
    await (t as TestApp | undefined)?.close();
    await Promise.all([builtIn.stop(), a.stop(), b.stop(), c.stop()]);
  });
  beforeEach(() => [builtIn, a, b, c].forEach((r) => r.reset()));

  const leads = () => t.dataSource.getRepository(Lead);
  const newLead = () =>
    leads().save(leads().create({ title: 'Roofer in Nantes', url: `https://ads.example/${randomUUID()}`, city: 'Nantes' }));
  const deliveriesOf = (eventId: string) =>
    t.dataSource.query<DeliveryRow[]>(
      `SELECT id, event_id, subscription_id, status, attempts, last_error FROM webhook_queue WHERE event_id = $1 ORDER BY subscription_id`,
      [eventId],
    );
  const forLead = (id: string) => (r: ReceivedRequest) => r.body?.entity?.id === id && r.headers['x-webhook-event'] === 'lead_scraped';

  it('fan-out: one lead insert reaches three receivers, each signed with its own secret only, all with the same X-Webhook-Id', async () => {
    const subs = await Promise.all([
      addSubscription(t, { name: 'crm', url: `${a.url}/crm`, eventTypes: ['lead_scraped', 'lead_qualified'] }),
      addSubscription(t, { name: 'staging-n8n', url: `${b.url}/webhook/{event}`, eventTypes: ['*'] }),
      addSubscription(t, { name: 'analytics', url: `${c.url}/in`, eventTypes: ['lead_scraped'], headers: { 'X-Api-Key': 'k-123' } }),
    ]);
    try {
      const lead = await newLead();
      const [ra] = await a.waitForCount(forLead(lead.id), 1);
      const [rb] = await b.waitForCount(forLead(lead.id), 1);
      const [rc] = await c.waitForCount(forLead(lead.id), 1);
      const [rBuiltIn] = await builtIn.waitForCount(forLead(lead.id), 1);
      const eventId = rBuiltIn!.headers['x-webhook-id'] as string;

      expect([ra, rb, rc].map((r) => r!.headers['x-webhook-id'])).toEqual([eventId, eventId, eventId]);
      expect([ra, rb, rc].map((r) => r!.body.id)).toEqual([eventId, eventId, eventId]);
      // Each verifies with its own secret and with no other one.
      const secrets = [subs[0].secret, subs[1].secret, subs[2].secret, TEST_WEBHOOK_SECRET];
      const got = [ra!, rb!, rc!, rBuiltIn!];
      got.forEach((req, i) => secrets.forEach((secret, j) => expect(signatureVerifies(req, secret)).toBe(i === j)));
      expect(ra!.path).toBe('/crm');
      expect(rb!.path).toBe('/webhook/lead-scraped');
      expect(rc!.headers['x-api-key']).toBe('k-123');
      expect(ra!.headers['x-api-key']).toBeUndefined();

      // One delivery per subscription, each with its own row, attempts and audit.
      const rows = await waitFor(
        async () => {
          const r = await deliveriesOf(eventId);
          return r.length === 4 && r.every((d) => d.status === 'sent') ? r : undefined;
        },
        { what: 'four sent deliveries' },
      );
      expect(new Set(rows.map((r) => r.subscription_id))).toEqual(new Set([BUILT_IN_SUBSCRIPTION_ID, ...subs.map((s) => s.id)]));
      expect(rows.find((r) => r.subscription_id === BUILT_IN_SUBSCRIPTION_ID)!.id).toBe(eventId);
      expect(new Set(rows.map((r) => r.id)).size).toBe(4);
      const logs = await t.dataSource.query<{ delivery_id: string; endpoint: string }[]>(
        `SELECT delivery_id, endpoint FROM webhook_logs WHERE direction = 'outgoing' AND delivery_id = ANY($1::text[])`,
        [rows.map((r) => r.id)],
      );
      expect(logs.map((l) => l.endpoint).sort()).toEqual(
        [`${a.url}/crm`, `${b.url}/webhook/lead-scraped`, `${c.url}/in`, `${builtIn.url}/webhook/lead-scraped`].sort(),
      );
    } finally {
      await removeAll(
        t,
        subs.map((s) => s.id),
      );
    }
  });

  it('a failing receiver does not delay the others, and its delivery keeps its own attempts', async () => {
    const ok = await addSubscription(t, { name: 'ok', url: `${a.url}/ok`, eventTypes: ['lead_scraped'] });
    const down = await addSubscription(t, { name: 'down', url: `${c.url}/down`, eventTypes: ['lead_scraped'] });
    c.respondWith(() => ({ status: 503 }));
    try {
      const lead = await newLead();
      const started = Date.now();
      await a.waitForCount(forLead(lead.id), 1);
      await builtIn.waitForCount(forLead(lead.id), 1);
      const fastMs = Date.now() - started;
      // The down one is retried (0.3 s apart) while the others are long done.
      await c.waitForCount(forLead(lead.id), 3);
      expect(fastMs).toBeLessThan(c.requests.filter(forLead(lead.id))[2]!.receivedAt - started);
      const eventId = a.requests.find(forLead(lead.id))!.headers['x-webhook-id'] as string;
      const rows = await deliveriesOf(eventId);
      const downRow = rows.find((r) => r.subscription_id === down.id)!;
      const okRow = rows.find((r) => r.subscription_id === ok.id)!;
      expect(okRow).toMatchObject({ status: 'sent', attempts: 1 });
      expect(downRow.attempts).toBeGreaterThanOrEqual(3);
      expect(c.requests.filter(forLead(lead.id)).map((r) => r.headers['x-webhook-attempt'])).toEqual(
        expect.arrayContaining(['1', '2', '3']),
      );
    } finally {
      await removeAll(t, [ok.id, down.id]);
    }
  });

  it('filters and templates: a subscription to demo_failed gets nothing else, at the URL its template names', async () => {
    const sub = await addSubscription(t, { name: 'demo-failures', url: `${a.url}/hooks/{event}?src=bridge`, eventTypes: ['demo_failed'] });
    try {
      const lead = await newLead();
      await builtIn.waitForCount(forLead(lead.id), 1);
      const demos = t.dataSource.getRepository(Demo);
      const demo = await demos.save(demos.create({ leadId: lead.id, status: 'pending' }));
      await t.app.get(TriggerService).demoFailed(demo);
      const [req] = await a.waitForCount((r) => r.headers['x-webhook-event'] === 'demo_failed', 1);
      expect(req!.path).toBe('/hooks/demo-failed?src=bridge');
      expect(signatureVerifies(req!, sub.secret)).toBe(true);
      // The lead_scraped of the same lead, delivered to the built-in subscription, never came here.
      await builtIn.waitForCount((r) => r.headers['x-webhook-event'] === 'demo_failed', 1);
      expect(a.requests.map((r) => r.headers['x-webhook-event'])).toEqual(['demo_failed']);
    } finally {
      await removeAll(t, [sub.id]);
    }
  });

  it('rotation: both signatures during the grace period, only the new one after', async () => {
    const sub = await addSubscription(t, { name: 'rotating', url: `${a.url}/r`, eventTypes: ['lead_scraped'] });
    try {
      const fresh = 'b'.repeat(8) + randomUUID().replace(/-/g, '');
      const cipher = t.app.get(SecretCipher);
      await t.app.get(SubscriptionRepository).rotateSecret(sub.id, cipher.encrypt(fresh), new Date(Date.now() + 3600_000));
      const during = await newLead();
      const [r1] = await a.waitForCount(forLead(during.id), 1);
      expect(signatureCount(r1!)).toBe(2);
      expect(signatureVerifies(r1!, fresh)).toBe(true);
      expect(signatureVerifies(r1!, sub.secret)).toBe(true);
      // The new signature comes first.
      const ts = r1!.headers['x-webhook-timestamp'] as string;
      const first = (r1!.headers['x-webhook-signature-256'] as string).split(' ')[0];
      expect(first).toBe(`sha256=${createHmac('sha256', fresh).update(`${ts}.`).update(r1!.raw).digest('hex')}`);

      // The grace period is over.
      await t.dataSource.query(`UPDATE webhook_subscriptions SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`, [
        sub.id,
      ]);
      const after = await newLead();
      const [r2] = await a.waitForCount(forLead(after.id), 1);
      expect(signatureCount(r2!)).toBe(1);
      expect(signatureVerifies(r2!, fresh)).toBe(true);
      expect(signatureVerifies(r2!, sub.secret)).toBe(false);
    } finally {
      await removeAll(t, [sub.id]);
    }
  });

  it('a disabled subscription: its new deliveries are recorded cancelled and never sent', async () => {
    const sub = await addSubscription(t, { name: 'paused', url: `${a.url}/p`, eventTypes: ['lead_scraped'], enabled: false });
    try {
      const lead = await newLead();
      const [req] = await builtIn.waitForCount(forLead(lead.id), 1);
      const rows = await deliveriesOf(req!.headers['x-webhook-id'] as string);
      expect(rows.find((r) => r.subscription_id === sub.id)).toMatchObject({ status: 'cancelled', last_error: 'subscription disabled' });
      expect(a.requests).toHaveLength(0);
    } finally {
      await removeAll(t, [sub.id]);
    }
  });

  it('a subscription failing for longer than SUBSCRIPTION_DISABLE_AFTER_HOURS is disabled once, with one alert', async () => {
    const sub = await addSubscription(t, { name: 'dead-crm', url: `${c.url}/dead`, eventTypes: ['lead_scraped'] });
    c.respondWith(() => ({ status: 500 }));
    try {
      // Its deliveries have failed for 121 hours (default threshold 120).
      await t.dataSource.query(`UPDATE webhook_subscriptions SET failing_since = now() - interval '121 hours' WHERE id = $1`, [sub.id]);
      await newLead();
      await newLead();
      const row = await waitFor(
        async () => {
          const [r] = await t.dataSource.query<{ enabled: boolean; disabled_reason: string | null }[]>(
            `SELECT enabled, disabled_reason FROM webhook_subscriptions WHERE id = $1`,
            [sub.id],
          );
          return r && !r.enabled ? r : undefined;
        },
        { what: 'the subscription disabled' },
      );
      expect(row.disabled_reason).toMatch(/^every delivery failed since \d{4}-\d\d-\d\dT/);
      const alerts = await builtIn.waitForCount(
        (r) => r.headers['x-webhook-event'] === 'workflow_error' && r.body?.data?.alert?.kind === 'subscription_disabled',
        1,
      );
      expect(alerts[0]!.body.data.alert).toMatchObject({ subscription_id: sub.id, subscription: 'dead-crm' });
      // Later events for it are recorded cancelled.
      const later = await newLead();
      const [req] = await builtIn.waitForCount(forLead(later.id), 1);
      const rows = await deliveriesOf(req!.headers['x-webhook-id'] as string);
      expect(rows.find((r) => r.subscription_id === sub.id)?.status).toBe('cancelled');
      const count = builtIn.requests.filter((r) => r.body?.data?.alert?.kind === 'subscription_disabled').length;
      expect(count).toBe(1);
    } finally {
      await removeAll(t, [sub.id]);
    }
  });

  it('secrets are stored encrypted and never reach an audit row', async () => {
    const sub = await addSubscription(t, { name: 'secretive', url: `${a.url}/s`, eventTypes: ['lead_scraped'] });
    try {
      const lead = await newLead();
      await a.waitForCount(forLead(lead.id), 1);
      await waitFor(
        async () =>
          (
            await t.dataSource.query<{ n: number }[]>(
              `SELECT count(*)::int AS n FROM webhook_logs l JOIN webhook_queue q ON q.id::text = l.delivery_id WHERE q.subscription_id = $1`,
              [sub.id],
            )
          )[0]!.n === 1,
        { what: 'the audit row' },
      );
      const [stored] = await t.dataSource.query<{ secret_enc: string }[]>(`SELECT secret_enc FROM webhook_subscriptions WHERE id = $1`, [
        sub.id,
      ]);
      expect(stored!.secret_enc).toMatch(/^v1:/);
      expect(stored!.secret_enc).not.toContain(sub.secret);
      for (const table of ['webhook_logs', 'webhook_retry_history', 'webhook_queue']) {
        const [hit] = await t.dataSource.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM ${table} x WHERE x::text LIKE '%' || $1 || '%'`,
          [sub.secret],
        );
        expect({ table, n: hit!.n }).toEqual({ table, n: 0 });
      }
    } finally {
      await removeAll(t, [sub.id]);
    }
  });

  it('a changed SECRETS_ENCRYPTION_KEY is a clear start-up error naming the subscription, not garbage signatures', async () => {
    const sub = await addSubscription(t, { name: 'keyed', url: `${a.url}/k`, eventTypes: ['lead_scraped'] });
    try {
      const child = spawnBridge(
        baseTestEnv({ DATABASE_URL: t.db.url, APP_ROLE: 'worker', SECRETS_ENCRYPTION_KEY: 'ab'.repeat(32), LOG_LEVEL: 'info' }),
      );
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(child.output()).toContain('SECRETS_ENCRYPTION_KEY does not decrypt the secret of subscription "keyed"');
      expect(child.output()).not.toContain(sub.secret);
    } finally {
      await removeAll(t, [sub.id]);
    }
  });
});

/** Soft-deletes the test's subscriptions so the next test starts from the built-in one alone. */
async function removeAll(t: TestApp, ids: string[]): Promise<void> {
  const repo = t.app.get(SubscriptionRepository);
  for (const id of ids) await repo.softDelete(id);
}
