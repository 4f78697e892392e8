import { INestApplication } from '@nestjs/common';
import { createServer } from 'node:net';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { CircuitBreakerService } from '../src/circuit-breaker/circuit-breaker.service';
import { TriggerService } from '../src/triggers/trigger.service';
import { CALLBACKS, postSigned } from './support/callbacks';
import { TestReceiver } from './support/receiver';
import { nowSeconds } from './support/sign';
import { startTestApp, TEST_ADMIN_TOKEN } from './support/test-app';
import { waitFor } from './support/wait';

const USER = 'ops';
const PASSWORD = 'board-password-0123456789';
const STATUS_CALLBACK = `${CALLBACKS}/workflow-status`;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('metrics and Bull Board (e2e)', () => {
  const receiver = new TestReceiver();
  let app: INestApplication;
  let http: ReturnType<INestApplication['getHttpServer']>;
  let dataSource: DataSource;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    await receiver.start();
    let videoCalls = 0;
    receiver.respondWith((r) => {
      if (r.body?.event === 'demo_failed') return { status: 400 };
      if (r.body?.event === 'video_completed' && ++videoCalls === 1) return { status: 502 };
      return { status: 200 };
    });
    const started = await startTestApp({
      N8N_BASE_URL: receiver.url,
      WEBHOOK_RETRY_DELAYS_MS: '100',
      ADMIN_USER: USER,
      ADMIN_PASSWORD: PASSWORD,
      OUTBOX_RELAY_INTERVAL_MS: '200',
    });
    ({ app, http, dataSource } = started);
    close = () => started.close();
  });
  afterAll(async () => {
    await close?.();
    await receiver.stop();
  });

  describe('/metrics', () => {
    beforeAll(async () => {
      const triggers = app.get(TriggerService);
      for (const type of ['lead_scraped', 'demo_failed', 'video_completed'] as const)
        await triggers.emit(type, { entity: { type: 'test', id: type }, data: {} });
      // The three events, and the alert the failed one raises (a workflow_error event), all end.
      const ended = `SELECT count(*)::int AS n FROM webhook_queue WHERE status IN ('sent', 'failed')`;
      await waitFor(async () => (await dataSource.query(ended))[0].n === 4, { what: 'four deliveries ended' });
      // Real callbacks (they raise no outgoing event): one applied, the same one resent (a replay), and one unsigned.
      const status = { workflow_id: 'wf-metrics', execution_id: 'exec-metrics', status: 'running', progress: 10 };
      const applied = await postSigned(http, STATUS_CALLBACK, status, { id: 'metrics-1', timestamp: nowSeconds() - 1 }).expect(200);
      expect(applied.headers['idempotent-replayed']).toBeUndefined();
      const resent = await postSigned(http, STATUS_CALLBACK, status, { id: 'metrics-1', timestamp: nowSeconds() }).expect(200);
      expect(resent.headers['idempotent-replayed']).toBe('true');
      await request(http).post(STATUS_CALLBACK).set('content-type', 'application/json').send('{"unsigned":true}').expect(401);
      await app.get(CircuitBreakerService).recordFailure('http://n8n.test/webhook/flaky');
    });

    it('answers 401 without the admin bearer token, or with a wrong one', async () => {
      await request(http).get('/metrics').expect(401);
      await request(http).get('/metrics').set('Authorization', 'Bearer wrong').expect(401);
      await request(http).get('/metrics').set('Authorization', basic(USER, PASSWORD)).expect(401);
    });

    it('exposes every metric with its labels in the Prometheus text format', async () => {
      const res = await request(http).get('/metrics').set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = res.text;
      const expected = [
        'bridge_webhook_deliveries_total{event="lead_scraped",subscription="built-in",outcome="sent"} 1',
        'bridge_webhook_deliveries_total{event="demo_failed",subscription="built-in",outcome="failed"} 1',
        'bridge_webhook_deliveries_total{event="video_completed",subscription="built-in",outcome="retrying"} 1',
        'bridge_webhook_deliveries_total{event="video_completed",subscription="built-in",outcome="sent"} 1',
        'bridge_webhook_deliveries_total{event="workflow_error",subscription="built-in",outcome="sent"} 1',
        'bridge_webhook_delivery_duration_seconds_count{event="lead_scraped",subscription="built-in",outcome="sent"} 1',
        'bridge_webhook_delivery_duration_seconds_count{event="video_completed",subscription="built-in",outcome="retrying"} 1',
        'bridge_webhook_delivery_attempts_count{event="video_completed",subscription="built-in",outcome="sent"} 1',
        'bridge_webhook_delivery_attempts_sum{event="video_completed",subscription="built-in",outcome="sent"} 2',
        'bridge_webhook_delivery_attempts_sum{event="demo_failed",subscription="built-in",outcome="failed"} 1',
        'bridge_queue_jobs{queue="webhook-deliveries",state="failed"} 1',
        'bridge_queue_jobs{queue="webhook-deliveries",state="active"} 0',
        'bridge_queue_paused 0',
        'bridge_outbox_lag_seconds 0',
        'bridge_incoming_callbacks_total{endpoint="workflow-status",outcome="accepted"} 1',
        'bridge_incoming_callbacks_total{endpoint="workflow-status",outcome="duplicate"} 1',
        'bridge_incoming_callbacks_total{endpoint="workflow-status",outcome="rejected"} 1',
        'bridge_signature_failures_total{reason="signature_missing"} 1',
        'bridge_circuit_state{target="http://n8n.test/webhook/flaky"} 0',
      ];
      for (const line of expected) expect(text.split('\n')).toContain(line);
      expect(text).toMatch(
        /^bridge_webhook_delivery_duration_seconds_bucket\{le="\+Inf",event="lead_scraped",subscription="built-in",outcome="sent"\} 1$/m,
      );
      expect(text).toMatch(/^bridge_queue_jobs\{queue="webhook-deliveries",state="completed"\} 3$/m);
      expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    });
  });

  describe('Bull Board at /admin/queues', () => {
    it('answers 401 with a Basic challenge without credentials, and with wrong ones', async () => {
      const res = await request(http).get('/admin/queues').expect(401);
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm="bull-board"/);
      await request(http).get('/admin/queues').set('Authorization', basic(USER, 'wrong')).expect(401);
      await request(http).get('/admin/queues').set('Authorization', basic('admin', PASSWORD)).expect(401);
      await request(http).get('/admin/queues/api/queues').set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`).expect(401);
    });

    it('serves the dashboard and its API for both queues with the right credentials', async () => {
      const page = await request(http).get('/admin/queues').set('Authorization', basic(USER, PASSWORD)).expect(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.text).toMatch(/<title>[^<]*<\/title>/);
      const api = await request(http).get('/admin/queues/api/queues').set('Authorization', basic(USER, PASSWORD)).expect(200);
      expect(api.body.queues.map((q: { name: string }) => q.name).sort()).toEqual(['maintenance', 'webhook-deliveries']);
    });

    it('is not mounted at all without ADMIN_USER / ADMIN_PASSWORD', async () => {
      const bare = await startTestApp();
      try {
        await request(bare.http).get('/admin/queues').expect(404);
        await request(bare.http).get('/admin/queues').set('Authorization', basic(USER, PASSWORD)).expect(404);
      } finally {
        await bare.close();
      }
    });
  });
});

describe('worker-role metrics port (e2e)', () => {
  it('serves /metrics on WORKER_METRICS_PORT with the bearer token when the process has no HTTP server', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const worker = await startTestApp({ APP_ROLE: 'worker', WORKER_METRICS_PORT: String(port) });
    try {
      const url = `http://127.0.0.1:${port}/metrics`;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const ok = await fetch(url, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('# TYPE bridge_webhook_deliveries_total counter');
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    } finally {
      await worker.close();
    }
  });
});
