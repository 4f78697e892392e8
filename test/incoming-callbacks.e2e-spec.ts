import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { Demo } from '../src/domain/demos/demo.entity';
import { OutreachEmail } from '../src/domain/emails/outreach-email.entity';
import { Lead } from '../src/domain/leads/lead.entity';
import { Video } from '../src/domain/videos/video.entity';
import { WorkflowExecution } from '../src/domain/workflow-executions/workflow-execution.entity';
import { WebhookLog } from '../src/audit/webhook-log.entity';
import { OutboxEvent } from '../src/outbox/outbox-event.entity';
import { ErrorNotificationsService } from '../src/webhook-responses/error-notifications.service';
import { WorkflowErrorReport } from '../src/webhook-responses/workflow-error-report.entity';
import { CALLBACKS, postSigned } from './support/callbacks';
import { TestReceiver } from './support/receiver';
import { nowSeconds, signedHeaders } from './support/sign';
import { TcpProxy } from './support/tcp-proxy';
import { startTestApp, TestApp, TEST_WEBHOOK_SECRET } from './support/test-app';
import { createTestDatabase } from './support/test-database';
import { waitFor } from './support/wait';

describe('incoming n8n callbacks', () => {
  const receiver = new TestReceiver();
  let t: TestApp;

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({
      N8N_BASE_URL: receiver.url,
      N8N_ALERT_WORKFLOW_ID: 'wf-alerting',
      WEBHOOK_RETRY_DELAYS_MS: '200',
      OUTBOX_RELAY_INTERVAL_MS: '200',
    });
  });
  afterAll(async () => {
    await (t as TestApp | undefined)?.close();
    await receiver.stop();
  });

  const repo = <T extends object>(e: new () => T) => t.dataSource.getRepository<T>(e);
  const newLead = (over: Partial<Lead> = {}) =>
    repo(Lead).save(
      repo(Lead).create({ title: 'Bakery in Lille', url: `https://ads.example/${randomUUID()}`, email: 'hello@bakery.example', ...over }),
    );
  const newDemo = async (over: Partial<Demo> = {}) => {
    const lead = await newLead();
    return repo(Demo).save(
      repo(Demo).create({ leadId: lead.id, status: 'completed', approvalStatus: 'pending', url: 'https://demos.example/x', ...over }),
    );
  };
  const newVideo = async (over: Partial<Video> = {}) => {
    const demo = await newDemo({ approvalStatus: 'approved' });
    return repo(Video).save(
      repo(Video).create({ leadId: demo.leadId, demoId: demo.id, status: 'completed', approvalStatus: 'pending', ...over }),
    );
  };
  const post = (endpoint: string, body: unknown, opts = {}) => postSigned(t.http, `${CALLBACKS}/${endpoint}`, body, opts);

  describe('demo-approval', () => {
    it('approves a demo awaiting approval and requests exactly one video', async () => {
      const demo = await newDemo();
      const res = await post('demo-approval', {
        demo_id: demo.id,
        approved: true,
        reviewer: 'marie',
        notes: 'lovely',
        execution_id: '42',
      }).expect(200);
      expect(res.body.demo).toMatchObject({ id: demo.id, approval_status: 'approved', reviewed_by: 'marie' });
      expect(res.body.video).toMatchObject({ demo_id: demo.id, lead_id: demo.leadId, status: 'queued' });
      const stored = await repo(Demo).findOneByOrFail({ id: demo.id });
      expect(stored).toMatchObject({ approvalStatus: 'approved', reviewedBy: 'marie', reviewNotes: 'lovely' });
      expect(stored.reviewedAt).toBeInstanceOf(Date);
      expect(await repo(Video).countBy({ demoId: demo.id })).toBe(1);
    });

    it('applies a repeated callback once: same X-Webhook-Id gets the same answer, the same decision changes nothing', async () => {
      const demo = await newDemo();
      const id = randomUUID();
      const first = await post('demo-approval', { demo_id: demo.id, approved: true }, { id }).expect(200);
      const again = await post(
        'demo-approval',
        { demo_id: demo.id, approved: true },
        { id, timestamp: Math.floor(Date.now() / 1000) - 1 },
      ).expect(200);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      const sameDecision = await post('demo-approval', { demo_id: demo.id, approved: true, reviewer: 'someone else' }).expect(200);
      expect(sameDecision.body.video.id).toBe(first.body.video.id);
      expect(await repo(Video).countBy({ demoId: demo.id })).toBe(1);
      expect((await repo(Demo).findOneByOrFail({ id: demo.id })).reviewedBy).toBeNull();
    });

    it('rejects a demo without requesting a video', async () => {
      const demo = await newDemo();
      const res = await post('demo-approval', { demo_id: demo.id, approved: false, reviewer: 'paul' }).expect(200);
      expect(res.body).toMatchObject({ demo: { approval_status: 'rejected' }, video: null });
      expect(await repo(Video).countBy({ demoId: demo.id })).toBe(0);
    });

    it('refuses a decision that contradicts an earlier one (409 with the current state), changing nothing', async () => {
      const demo = await newDemo();
      await post('demo-approval', { demo_id: demo.id, approved: true, reviewer: 'marie' }).expect(200);
      const res = await post('demo-approval', { demo_id: demo.id, approved: false }).expect(409);
      expect(res.body).toMatchObject({
        statusCode: 409,
        error: 'conflict',
        details: { id: demo.id, approval_status: 'approved', reviewed_by: 'marie' },
      });
      expect((await repo(Demo).findOneByOrFail({ id: demo.id })).approvalStatus).toBe('approved');
    });

    it('refuses to approve a demo that is not awaiting approval', async () => {
      const demo = await newDemo({ approvalStatus: 'not_required' });
      const res = await post('demo-approval', { demo_id: demo.id, approved: true }).expect(409);
      expect(res.body.message).toMatch(/not awaiting approval/);
      expect(await repo(Video).countBy({ demoId: demo.id })).toBe(0);
    });

    it('answers 404 for an unknown demo', async () => {
      const res = await post('demo-approval', { demo_id: randomUUID(), approved: true }).expect(404);
      expect(res.body.error).toBe('not_found');
    });

    it.each([
      [{ demo_id: 'not-a-uuid', approved: true }, ['demo_id']],
      [{ demo_id: randomUUID(), approved: 'yes' }, ['approved']],
      [{ approved: true }, ['demo_id']],
      [{ demo_id: randomUUID(), approved: true, reviewer: 7 }, ['reviewer']],
      [{ demo_id: randomUUID(), approved: true, sneaky: 1 }, ['sneaky']],
      [{ demo_id: 5, approved: null, notes: 'x'.repeat(6000) }, ['demo_id', 'approved', 'notes']],
    ])('answers 400 naming each bad field (case %#)', async (body, fields) => {
      const res = await post('demo-approval', body).expect(400);
      expect(res.body.error).toBe('validation_failed');
      expect(res.body.details.map((d: { field: string }) => d.field).sort()).toEqual([...fields].sort());
    });

    it('answers 401 without a valid signature, 415 for another content type, 413 beyond the body limit', async () => {
      const demo = await newDemo();
      const body = JSON.stringify({ demo_id: demo.id, approved: true });
      const unsigned = await request(t.http)
        .post(`${CALLBACKS}/demo-approval`)
        .set('content-type', 'application/json')
        .send(body)
        .expect(401);
      expect(unsigned.body.error).toBe('signature_missing');
      const wrongSecret = await request(t.http)
        .post(`${CALLBACKS}/demo-approval`)
        .set(signedHeaders(body, 'another-secret-entirely-0123456789abcdef'))
        .send(body)
        .expect(401);
      expect(wrongSecret.body.error).toBe('signature_mismatch');
      await request(t.http)
        .post(`${CALLBACKS}/demo-approval`)
        .set({ ...signedHeaders(body, TEST_WEBHOOK_SECRET), 'content-type': 'text/plain' })
        .send(body)
        .expect(415);
      const huge = JSON.stringify({ demo_id: demo.id, approved: true, notes: 'x'.repeat(2 * 1024 * 1024) });
      await request(t.http).post(`${CALLBACKS}/demo-approval`).set(signedHeaders(huge, TEST_WEBHOOK_SECRET)).send(huge).expect(413);
      expect((await repo(Demo).findOneByOrFail({ id: demo.id })).approvalStatus).toBe('pending');
    });
  });

  describe('video-approval', () => {
    it('approves a video and requests exactly one outreach email for its lead', async () => {
      const video = await newVideo();
      const res = await post('video-approval', { video_id: video.id, approved: true, reviewer: 'marie' }).expect(200);
      expect(res.body.video).toMatchObject({ id: video.id, approval_status: 'approved' });
      expect(res.body.email).toMatchObject({
        video_id: video.id,
        lead_id: video.leadId,
        status: 'queued',
        to_address: 'hello@bakery.example',
      });
      await post('video-approval', { video_id: video.id, approved: true }).expect(200);
      expect(await repo(OutreachEmail).countBy({ videoId: video.id })).toBe(1);
    });

    it('answers 404 for an unknown video and 409 when it is not awaiting approval', async () => {
      await post('video-approval', { video_id: randomUUID(), approved: true }).expect(404);
      const video = await newVideo({ approvalStatus: 'not_required' });
      await post('video-approval', { video_id: video.id, approved: false }).expect(409);
    });
  });

  describe('workflow-status and workflow-completed', () => {
    it('upserts an execution, finishes it, and never lets a late running overwrite it', async () => {
      const lead = await newLead();
      const execution_id = `exec-${randomUUID()}`;
      await post('workflow-status', {
        workflow_id: 'wf-1',
        execution_id,
        status: 'running',
        progress: 10,
        step: 'Scrape',
        lead_id: lead.id,
      }).expect(200);
      expect(await repo(WorkflowExecution).findOneByOrFail({ executionId: execution_id })).toMatchObject({
        status: 'running',
        progress: 10,
        lastStep: 'Scrape',
        leadId: lead.id,
      });
      await post('workflow-status', { workflow_id: 'wf-1', execution_id, status: 'waiting', progress: 60, step: 'Approval' }).expect(200);
      await post('workflow-status', { workflow_id: 'wf-1', execution_id, status: 'success', progress: 100 }).expect(200);
      const late = await post('workflow-status', { workflow_id: 'wf-1', execution_id, status: 'running', progress: 20 }).expect(200);
      expect(late.body.ignored).toBe('execution already finished');
      const row = await repo(WorkflowExecution).findOneByOrFail({ executionId: execution_id });
      expect(row).toMatchObject({ status: 'success', progress: 100, lastStep: 'Approval' });
      expect(row.finishedAt).toBeInstanceOf(Date);
    });

    it('records a completion with its result and updates the lead', async () => {
      const lead = await newLead();
      const execution_id = `exec-${randomUUID()}`;
      const res = await post('workflow-completed', {
        workflow_id: 'wf-2',
        execution_id,
        status: 'success',
        lead_id: lead.id,
        result: { demo_url: 'https://d.example' },
        finished_at: '2026-11-29T10:00:00Z',
      }).expect(200);
      expect(res.body.execution).toMatchObject({ status: 'success', data: { demo_url: 'https://d.example' } });
      expect((await repo(Lead).findOneByOrFail({ id: lead.id })).metadata).toMatchObject({
        last_workflow: { workflow_id: 'wf-2', execution_id, status: 'success', finished_at: '2026-11-29T10:00:00.000Z' },
      });
      // The same completion again is harmless; a contradicting one is a conflict.
      await post('workflow-completed', { workflow_id: 'wf-2', execution_id, status: 'success', lead_id: lead.id }).expect(200);
      const conflict = await post('workflow-completed', { workflow_id: 'wf-2', execution_id, status: 'error' }).expect(409);
      expect(conflict.body.details).toMatchObject({ status: 'success' });
    });

    it('validates fields and references', async () => {
      const bad = await post('workflow-status', { workflow_id: '', execution_id: 'e', status: 'done', progress: 101 }).expect(400);
      expect(bad.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['progress', 'status', 'workflow_id']);
      await post('workflow-completed', { workflow_id: 'w', execution_id: 'e', status: 'success', lead_id: randomUUID() }).expect(404);
      await post('workflow-status', { workflow_id: 'w', execution_id: 'e-unknown-lead', status: 'running', lead_id: randomUUID() }).expect(
        404,
      );
      expect(await repo(WorkflowExecution).countBy({ executionId: 'e-unknown-lead' })).toBe(0);
      const noResultObject = await post('workflow-completed', {
        workflow_id: 'w',
        execution_id: 'e',
        status: 'success',
        result: 'text',
        finished_at: 'yesterday',
      }).expect(400);
      expect(noResultObject.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['finished_at', 'result']);
    });
  });

  describe('error-notification', () => {
    it('records a critical error, puts the lead in error and delivers one workflow_error (priority 3)', async () => {
      const lead = await newLead();
      const res = await post('error-notification', {
        workflow_id: 'wf-demo',
        execution_id: `exec-${randomUUID()}`,
        lead_id: lead.id,
        node: 'Build',
        error_message: 'Timeout',
        severity: 'critical',
      }).expect(200);
      expect(res.body).toMatchObject({ lead_status: 'error' });
      expect((await repo(Lead).findOneByOrFail({ id: lead.id })).status).toBe('error');
      expect(await repo(WorkflowErrorReport).findOneByOrFail({ id: res.body.report_id })).toMatchObject({
        severity: 'critical',
        eventRaised: true,
      });
      const [hit] = await receiver.waitForCount((r) => r.body?.id === res.body.event_id, 1);
      expect(hit!.path).toBe('/webhook/workflow-error');
      expect(hit!.body).toMatchObject({
        event: 'workflow_error',
        priority: 3,
        data: { workflow_id: 'wf-demo', severity: 'critical', error_message: 'Timeout', source: 'n8n' },
      });
    });

    it('applies racing identical copies once: one report and one workflow_error, the other copies answered as replays', async () => {
      // Each application writes a report and raises an event, so only the idempotency store keeps copies from adding more.
      const workflowId = `wf-race-${randomUUID()}`;
      const body = { workflow_id: workflowId, error_message: 'Render timed out', severity: 'error' };
      const copies = 4;
      // Every copy has looked its key up (not stored yet) and is applying before any of them commits: a real race.
      const held = hold(
        t.app.get(ErrorNotificationsService),
        'report',
        ([dto]) => (dto as { workflow_id: string }).workflow_id === workflowId,
      );
      try {
        const opts = { id: randomUUID(), timestamp: nowSeconds() };
        const sent = Promise.all(Array.from({ length: copies }, () => post('error-notification', body, opts).then((r) => r)));
        await waitFor(() => held.arrived() === copies, { what: `${copies} copies applying at once` });
        held.release();
        const results = await sent;
        expect(results.map((r) => r.status)).toEqual(Array.from({ length: copies }, () => 200));
        const replayed = results.filter((r) => r.headers['idempotent-replayed'] === 'true');
        expect(replayed).toHaveLength(copies - 1);
        const [applied] = results.filter((r) => r.headers['idempotent-replayed'] === undefined);
        for (const copy of replayed) expect(copy.body).toEqual(applied!.body);
        expect(await repo(WorkflowErrorReport).findBy({ workflowId })).toEqual([expect.objectContaining({ id: applied!.body.report_id })]);
        expect(await repo(OutboxEvent).findBy({ eventType: 'workflow_error', entityId: workflowId })).toEqual([
          expect.objectContaining({ id: applied!.body.event_id }),
        ]);
      } finally {
        held.release();
        held.restore();
      }
    });

    it('leaves the lead alone for a warning', async () => {
      const lead = await newLead();
      await post('error-notification', { workflow_id: 'wf-demo', lead_id: lead.id, error_message: 'slow', severity: 'warning' }).expect(
        200,
      );
      expect((await repo(Lead).findOneByOrFail({ id: lead.id })).status).toBe('new');
    });

    it('raises no event for errors of the alerting workflow itself', async () => {
      const res = await post('error-notification', {
        workflow_id: 'wf-alerting',
        error_message: 'alert target down',
        severity: 'critical',
      }).expect(200);
      expect(res.body.event_id).toBeNull();
      expect(await repo(WorkflowErrorReport).findOneByOrFail({ id: res.body.report_id })).toMatchObject({ eventRaised: false });
      expect(await repo(OutboxEvent).countBy({ eventType: 'workflow_error', entityId: 'wf-alerting' })).toBe(0);
    });
  });

  describe('health', () => {
    it('reports database, redis, queue, n8n and security', async () => {
      const res = await postSigned(t.http, `${CALLBACKS}/health`, '').expect(404); // GET only
      expect(res.status).toBe(404);
      const get = await request(t.http).get(`${CALLBACKS}/health`).set(signedHeaders('', TEST_WEBHOOK_SECRET)).expect(200);
      expect(get.body).toMatchObject({
        status: 'ok',
        checks: {
          database: { status: 'up' },
          redis: { status: 'up' },
          queue: { worker_running: true, paused: false },
          n8n: { reachable: true },
          security: { secret_configured: true, scheme: 'hmac-sha256' },
        },
      });
      expect(typeof get.body.checks.n8n.latency_ms).toBe('number');
      await request(t.http).get(`${CALLBACKS}/health`).expect(401);
    });
  });

  it('audits every callback: accepted, refused by validation and refused by the signature check', async () => {
    const id = randomUUID();
    await post('workflow-status', { workflow_id: 'wf-audit', execution_id: `e-${id}`, status: 'running' }, { id }).expect(200);
    await post('workflow-status', { workflow_id: 'wf-audit', execution_id: `e-${id}`, status: 'nope' }, { id: `${id}-bad` }).expect(400);
    await request(t.http)
      .post(`${CALLBACKS}/workflow-status`)
      .set({ 'content-type': 'application/json', 'x-webhook-id': `${id}-unsigned` })
      .send('{}')
      .expect(401);
    const logs = await waitFor(async () => {
      const rows = await repo(WebhookLog).find({
        where: [{ deliveryId: id }, { deliveryId: `${id}-bad` }, { deliveryId: `${id}-unsigned` }],
      });
      return rows.length === 3 ? rows : undefined;
    });
    const byId = Object.fromEntries(logs.map((l) => [l.deliveryId, l]));
    expect(byId[id]).toMatchObject({
      direction: 'incoming',
      endpoint: `${CALLBACKS}/workflow-status`,
      outcome: 'accepted',
      responseStatus: 200,
    });
    expect(byId[`${id}-bad`]).toMatchObject({ outcome: 'invalid', responseStatus: 400 });
    expect(byId[`${id}-bad`].reason).toMatch(/status/);
    expect(byId[`${id}-unsigned`]).toMatchObject({ outcome: 'rejected', responseStatus: 401, reason: 'signature_missing' });
    expect(typeof byId[id].durationMs).toBe('number');
    expect(JSON.stringify(logs)).not.toContain(TEST_WEBHOOK_SECRET);
  });

  it('chains the pipeline: approval_requested → demo-approval → video → video_completed → video-approval → outreach email', async () => {
    const lead = await newLead();
    const demo = await repo(Demo).save(repo(Demo).create({ leadId: lead.id, status: 'building' }));
    demo.status = 'completed';
    demo.approvalStatus = 'pending';
    await repo(Demo).save(demo);
    const demoEvents = await receiver.waitForCount((r) => r.body?.entity?.id === demo.id, 2);
    expect(demoEvents.map((r) => r.body.event).sort()).toEqual(['approval_requested', 'demo_completed']);

    const approved = await post('demo-approval', { demo_id: demo.id, approved: true }).expect(200);
    const video = await repo(Video).findOneByOrFail({ id: approved.body.video.id });
    expect(video.status).toBe('queued');

    video.status = 'completed';
    video.url = 'https://videos.example/v.mp4';
    video.approvalStatus = 'pending';
    await repo(Video).save(video);
    const videoEvents = await receiver.waitForCount((r) => r.body?.entity?.id === video.id, 2);
    expect(videoEvents.map((r) => r.body.event).sort()).toEqual(['approval_requested', 'video_completed']);
    expect(videoEvents.find((r) => r.body.event === 'approval_requested')!.body.data).toMatchObject({
      subject: 'video',
      video: { id: video.id },
      lead: { id: lead.id },
    });

    const emailRes = await post('video-approval', { video_id: video.id, approved: true }).expect(200);
    expect(await repo(OutreachEmail).findBy({ leadId: lead.id })).toMatchObject([
      { id: emailRes.body.email.id, status: 'queued', videoId: video.id },
    ]);
  });
});

describe('incoming n8n callbacks while the database is down', () => {
  it('answers 503 with Retry-After, and applies the callback when n8n retries after the database is back', async () => {
    const db = await createTestDatabase();
    const proxy = await new TcpProxy('127.0.0.1', 5432).start();
    const url = new URL(db.url);
    url.host = proxy.address;
    const t = await startTestApp({ DATABASE_URL: url.toString() });
    try {
      const lead = await t.dataSource.getRepository(Lead).save({ title: 'Florist', url: `https://ads.example/${randomUUID()}` });
      const demo = await t.dataSource.getRepository(Demo).save({ leadId: lead.id, status: 'completed', approvalStatus: 'pending' });
      const body = JSON.stringify({ demo_id: demo.id, approved: true });
      const headers = signedHeaders(body, TEST_WEBHOOK_SECRET);

      await proxy.cut();
      const down = await request(t.http).post(`${CALLBACKS}/demo-approval`).set(headers).send(body).expect(503);
      expect(down.headers['retry-after']).toBeDefined();
      expect(down.body).toMatchObject({ statusCode: 503, error: 'service_unavailable' });

      await proxy.restore();
      // n8n retries the very same signed request.
      const up = await request(t.http).post(`${CALLBACKS}/demo-approval`).set(headers).send(body).expect(200);
      expect(up.body.demo.approval_status).toBe('approved');
      expect(await t.dataSource.getRepository(Video).countBy({ demoId: demo.id })).toBe(1);
    } finally {
      await t.close();
      await proxy.stop();
      await db.drop();
    }
  });
});

describe('incoming n8n callbacks: rate limit per source address', () => {
  it('answers 429 with Retry-After beyond INCOMING_RATE_LIMIT_PER_MINUTE, before checking signatures', async () => {
    const t = await startTestApp({ INCOMING_RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const execution_id = `e-${randomUUID()}`;
      for (let i = 0; i < 3; i++)
        await postSigned(t.http, `${CALLBACKS}/workflow-status`, {
          workflow_id: 'wf',
          execution_id,
          status: 'running',
          progress: i,
        }).expect(200);
      const limited = await request(t.http)
        .post(`${CALLBACKS}/workflow-status`)
        .set('content-type', 'application/json')
        .send('{}')
        .expect(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited.body.statusCode).toBe(429);
    } finally {
      await t.close();
    }
  });
});

/**
 * Holds every call of `object[method]` whose arguments match until `release()` (the method itself
 * is unchanged), counting those that arrived; `restore()` puts the method back as it was.
 */
function hold(object: object, method: string, matches: (args: unknown[]) => boolean) {
  const target = object as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const own = Object.prototype.hasOwnProperty.call(target, method);
  const original = target[method]!;
  let arrived = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  target[method] = async function (this: unknown, ...args: unknown[]) {
    if (matches(args)) {
      arrived++;
      await released;
    }
    return original.apply(this, args);
  };
  return {
    arrived: () => arrived,
    release: () => release(),
    restore: () => (own ? (target[method] = original) : Reflect.deleteProperty(target, method)),
  };
}
