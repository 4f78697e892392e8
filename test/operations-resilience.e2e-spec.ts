import { Controller, HttpCode, INestApplication, Post } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { IncomingRateLimit } from '../src/common/throttling/incoming-rate-limit.guard';
import { MetricsService } from '../src/metrics/metrics.service';
import { WebhookQueueService } from '../src/queue/webhook-queue.service';
import { EventType } from '../src/events/event-catalog';
import { TriggerService } from '../src/triggers/trigger.service';
import { TestReceiver } from './support/receiver';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

const emitter =
  (t: { app: INestApplication }) =>
  async (type: EventType, entityId: string, data: Record<string, unknown> = {}) =>
    (await t.app.get(TriggerService).emit(type, { entity: { type: 'test', id: entityId }, data }))!.id;
const admin = (http: unknown, path: string) =>
  request(http as Parameters<typeof request>[0])
    .get(path)
    .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`);

describe('circuit breaker and alerting (e2e)', () => {
  const n8n = new TestReceiver();
  const alerts = new TestReceiver();
  let down = true;
  let t: TestApp;
  let emit: ReturnType<typeof emitter>;

  beforeAll(async () => {
    await Promise.all([n8n.start(), alerts.start()]);
    n8n.respondWith((req) => {
      if (req.path.startsWith('/reject')) return { status: 400, body: '{"error":"workflow rejects everything"}' };
      return down ? { status: 503, body: 'n8n is down' } : { status: 200 };
    });
    t = await startTestApp({
      N8N_BASE_URL: n8n.url,
      N8N_WEBHOOK_URL_EMAIL_FAILED: `${n8n.url}/reject/email-failed`,
      N8N_WEBHOOK_URL_VIDEO_FAILED: `${n8n.url}/reject/video-failed`,
      WEBHOOK_RETRY_DELAYS_MS: '100,100,100,100,100,100,100,100,100,100',
      WEBHOOK_TIMEOUT_MS: '2000',
      WEBHOOK_CONCURRENCY: '2',
      OUTBOX_RELAY_INTERVAL_MS: '200',
      CIRCUIT_FAILURE_THRESHOLD: '3',
      // Long enough for the assertions made while the circuit is open to finish before the first probe.
      CIRCUIT_COOLDOWN_MS: '3000',
      ALERT_WEBHOOK_URL: `${alerts.url}/alerts`,
      ALERT_DEDUP_WINDOW_MS: '600000',
    });
    emit = emitter(t);
  });
  afterAll(async () => {
    await (t as TestApp | undefined)?.close();
    await Promise.all([n8n.stop(), alerts.stop()]);
  });

  const row = async (id: string) =>
    (await t.dataSource.query(`SELECT status, attempts, next_retry_at FROM webhook_queue WHERE id = $1`, [id]))[0];
  const history = async (id: string) =>
    await t.dataSource.query<{ attempt: number; outcome: string }[]>(
      `SELECT attempt, outcome FROM webhook_retry_history WHERE delivery_id = $1 ORDER BY id`,
      [id],
    );
  const hitsFor = (id: string) => n8n.requests.filter((r) => r.headers['x-webhook-id'] === id);
  const jobState = (id: string) => t.app.get(WebhookQueueService).jobState(id);
  const alertRows = async () =>
    await t.dataSource.query<{ id: string; status: string; kind: string; target: string }[]>(
      `SELECT id, status, payload->'data'->'alert'->>'kind' AS kind, payload->'data'->'alert'->>'target_url' AS target
        FROM webhook_queue WHERE event_type = 'workflow_error' AND payload->'data'->>'source' = 'webhook-bridge' ORDER BY created_at`,
    );

  it('opens after N consecutive failures, holds deliveries without spending attempts, alerts once, and closes after a successful probe', async () => {
    const target = `${n8n.url}/webhook/lead-scraped`;
    const first = await emit('lead_scraped', `circuit-${randomUUID()}`);

    // Three failed attempts open the circuit; the fourth is held, not sent.
    const circuit = await waitFor(
      async () =>
        (await admin(t.http, '/api/v1/webhooks/queue/stats').expect(200)).body.circuits.find(
          (c: { target: string; state: string }) => c.target === target && c.state === 'open',
        ),
      {
        what: 'circuit open',
      },
    );
    expect(circuit.consecutive_failures).toBe(3);
    const heldCount = async () =>
      Number(
        /^bridge_webhook_deliveries_total\{event="lead_scraped",subscription="built-in",outcome="held"\} (\d+)$/m.exec(
          await t.app.get(MetricsService).metrics(),
        )?.[1] ?? 0,
      );
    await waitFor(async () => (await heldCount()) >= 1, { what: 'fourth attempt held' });
    await waitFor(async () => (await jobState(first)) === 'delayed' && (await row(first)).status === 'retrying', {
      what: 'first event back in the delayed set',
    });
    expect(hitsFor(first)).toHaveLength(3);
    expect((await history(first)).map((h) => h.outcome)).toEqual(['retrying', 'retrying', 'retrying']);

    // Events raised while it is open wait with no attempt spent and nothing in their history.
    const held = [
      await emit('lead_scraped', `held-${randomUUID()}`),
      await emit('lead_scraped', `held-${randomUUID()}`),
      await emit('lead_scraped', `held-${randomUUID()}`),
    ];
    for (const id of held)
      await waitFor(async () => (await jobState(id)) === 'delayed' && (await row(id)).next_retry_at !== null, { what: `${id} held` });
    for (const id of held) {
      expect(await row(id)).toMatchObject({ status: 'queued', attempts: 0 });
      expect(await history(id)).toEqual([]);
      expect(hitsFor(id)).toHaveLength(0);
    }
    expect((await row(first)).attempts).toBe(3);
    expect(hitsFor(first)).toHaveLength(3);

    // Visible in health and metrics; one alert for the incident, to the alert target, critical.
    const health = await request(t.http).get('/health/ready').expect(200);
    expect(health.body.info.circuits).toMatchObject({ status: 'up', open: 1, targets: [{ target, state: 'open' }] });
    const metrics = await admin(t.http, '/metrics').expect(200);
    expect(metrics.text).toContain(`bridge_circuit_state{target="${target}"} 2`);
    expect(metrics.text).toMatch(/bridge_webhook_deliveries_total\{event="lead_scraped",subscription="built-in",outcome="held"\} [1-9]/);
    const [alert] = await alerts.waitForCount(() => true, 1);
    expect(alert!.path).toBe('/alerts');
    expect(alert!.body).toMatchObject({
      event: 'workflow_error',
      priority: 3,
      data: { severity: 'critical', source: 'webhook-bridge', alert: { kind: 'circuit_open', target_url: target } },
    });

    // n8n comes back: after the cool-down one probe closes the circuit and everything goes out.
    down = false;
    for (const id of [first, ...held])
      await waitFor(async () => (await row(id)).status === 'sent', { timeoutMs: 15000, what: `${id} sent` });
    expect((await row(first)).attempts).toBe(4);
    expect((await history(first)).map((h) => h.outcome)).toEqual(['retrying', 'retrying', 'retrying', 'sent']);
    for (const id of held) {
      expect((await row(id)).attempts).toBe(1);
      expect(await history(id)).toEqual([{ attempt: 1, outcome: 'sent' }]);
      expect(hitsFor(id)).toHaveLength(1);
    }
    const after = await admin(t.http, '/api/v1/webhooks/queue/stats').expect(200);
    expect(after.body.circuits.find((c: { target: string }) => c.target === target)).toMatchObject({
      state: 'closed',
      consecutive_failures: 0,
    });
    expect((await alertRows()).filter((a) => a.kind === 'circuit_open')).toHaveLength(1);
  });

  it('raises one alert per incident when events fail for good, not one per event', async () => {
    const ids = [
      await emit('email_failed', `dead-${randomUUID()}`),
      await emit('email_failed', `dead-${randomUUID()}`),
      await emit('email_failed', `dead-${randomUUID()}`),
    ];
    for (const id of ids) await waitFor(async () => (await jobState(id)) === 'failed', { what: `${id} failed for good` });
    const target = `${n8n.url}/reject/email-failed`;
    const raised = (await alertRows()).filter((a) => a.kind === 'delivery_failed' && a.target === target);
    expect(raised).toHaveLength(1);
    const [alert] = await alerts.waitForCount((r) => r.body?.data?.alert?.kind === 'delivery_failed', 1);
    expect(alert!.body.data).toMatchObject({
      workflow_id: 'n8n-webhook-bridge',
      alert: { target_url: target, event: 'email_failed', attempts: 1 },
    });
    expect(alert!.body.data.error_message).toContain('HTTP 400');
  });

  it('never alerts about a failing alert (no loop)', async () => {
    alerts.respondWith(() => ({ status: 400, body: 'alert workflow broken' }));
    const before = (await alertRows()).length;
    const id = await emit('video_failed', `dead-${randomUUID()}`);
    await waitFor(async () => (await jobState(id)) === 'failed', { what: 'event failed for good' });
    const [raised] = (await alertRows()).slice(before);
    expect(raised).toMatchObject({ kind: 'delivery_failed', target: `${n8n.url}/reject/video-failed` });
    // The alert itself fails for good at the alert target...
    await waitFor(async () => (await jobState(raised!.id)) === 'failed', { what: 'alert failed for good' });
    // ...and raises nothing more.
    expect(await alertRows()).toHaveLength(before + 1);
    expect(alerts.requests.filter((r) => r.headers['x-webhook-id'] === raised!.id)).toHaveLength(1);
  });
});

/** A test-only incoming route, composed into the app the way the n8n callback controllers will be. */
@Controller('api/v1/webhooks/n8n/rate-limit-test')
@IncomingRateLimit()
class RateLimitedController {
  @Post('a')
  @HttpCode(200)
  a() {
    return { ok: 'a' };
  }

  @Post('b')
  @HttpCode(200)
  b() {
    return { ok: 'b' };
  }
}

describe('rate limits (e2e)', () => {
  const n8n = new TestReceiver();
  let app: INestApplication;
  let close: (() => Promise<void>) | undefined;
  let http: ReturnType<INestApplication['getHttpServer']>;
  let dataSource: DataSource;

  beforeAll(async () => {
    await n8n.start();
    const started = await startTestApp(
      // TRUST_PROXY: the test plays a second source address through X-Forwarded-For from loopback.
      {
        N8N_BASE_URL: n8n.url,
        WEBHOOK_RATE_LIMIT_PER_SECOND: '4',
        INCOMING_RATE_LIMIT_PER_MINUTE: '3',
        WEBHOOK_CONCURRENCY: '10',
        TRUST_PROXY: 'loopback',
      },
      { controllers: [RateLimitedController] },
    );
    ({ app, http, dataSource } = started);
    close = () => started.close();
  });
  afterAll(async () => {
    await close?.();
    await n8n.stop();
  });

  it('answers 429 with Retry-After beyond INCOMING_RATE_LIMIT_PER_MINUTE per source address, across incoming routes', async () => {
    for (let i = 0; i < 3; i++) await request(http).post('/api/v1/webhooks/n8n/rate-limit-test/a').expect(200);
    const refused = await request(http).post('/api/v1/webhooks/n8n/rate-limit-test/a').expect(429);
    expect(refused.body).toMatchObject({ statusCode: 429, error: 'too_many_requests' });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // One budget per address for every incoming route.
    await request(http).post('/api/v1/webhooks/n8n/rate-limit-test/b').expect(429);
    // Another source address (behind the loopback proxy) has its own budget.
    await request(http).post('/api/v1/webhooks/n8n/rate-limit-test/b').set('X-Forwarded-For', '203.0.113.7').expect(200);
    // Routes without the decorator are not limited.
    for (let i = 0; i < 5; i++) await admin(http, '/api/v1/webhooks/queue/stats').expect(200);
  });

  it('sends at most WEBHOOK_RATE_LIMIT_PER_SECOND deliveries per second', async () => {
    const emit = emitter({ app });
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) ids.push(await emit('lead_scraped', `limited-${i}`));
    const hits = await n8n.waitForCount(() => true, 9, 20000);
    const times = hits.map((h) => h.receivedAt).sort((a, b) => a - b);
    // At most 4 per one-second window of the limiter: 9 deliveries need three windows, so the 9th
    // comes more than one whole window after the first (however late in its window the first one
    // went). Without the limit all 9 arrive within a few tens of milliseconds.
    expect(times[8]! - times[0]!).toBeGreaterThan(1000);
    await waitFor(async () => (await dataSource.query(`SELECT count(*)::int AS n FROM webhook_queue WHERE status = 'sent'`))[0].n === 9, {
      what: 'all sent',
    });
    expect(new Set(hits.map((h) => h.headers['x-webhook-id']))).toEqual(new Set(ids));
  });
});
