import { randomUUID } from 'node:crypto';
import { WebhookLog } from '../../src/audit/webhook-log.entity';
import { Demo } from '../../src/domain/demos/demo.entity';
import { OutreachEmail } from '../../src/domain/emails/outreach-email.entity';
import { Lead } from '../../src/domain/leads/lead.entity';
import { Video } from '../../src/domain/videos/video.entity';
import { WorkflowExecution } from '../../src/domain/workflow-executions/workflow-execution.entity';
import { OutboxEvent } from '../../src/outbox/outbox-event.entity';
import { WorkflowErrorReport } from '../../src/webhook-responses/workflow-error-report.entity';
import { nowSeconds, signedHeaders } from '../support/sign';
import { startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';

/**
 * The bridge against a real n8n running the workflows of n8n/ (started by scripts/test-n8n.sh,
 * which passes where n8n listens, the port n8n calls back, and the secret both sides share).
 */
const N8N_URL = requireEnv('N8N_E2E_URL');
const BRIDGE_PORT = Number(requireEnv('N8N_E2E_BRIDGE_PORT'));
const SECRET = requireEnv('N8N_E2E_SECRET');
const RECEIVER = 'bridgeEventsRcv1';
const ALERTS = 'bridgeAlertsRcv1';
const AUTO_APPROVE_NOTES = 'Approved automatically (AUTO_APPROVE=true) — no human review';
const ROUND_TRIP = { timeoutMs: 45000, intervalMs: 100 };

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this suite with scripts/test-n8n.sh (npm run test:n8n)`);
  return value;
}

describe('bridge ⇄ real n8n', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      N8N_BASE_URL: N8N_URL,
      WEBHOOK_SECRET: SECRET,
      N8N_ALERT_WORKFLOW_ID: ALERTS,
      WEBHOOK_RETRY_DELAYS_MS: '500,1000,2000',
      OUTBOX_RELAY_INTERVAL_MS: '500',
    });
    // n8n calls back on a fixed port, chosen free by the script before n8n started.
    await t.app.listen(BRIDGE_PORT, '127.0.0.1');
  });
  afterAll(async () => {
    await (t as TestApp | undefined)?.close();
  });

  const repo = <T extends object>(entity: new () => T) => t.dataSource.getRepository(entity);
  const newLead = () =>
    repo(Lead).save(
      repo(Lead).create({ title: 'Plombier à Lyon', url: `https://ads.example/${randomUUID()}`, email: 'contact@plomberie.example' }),
    );

  /** The outbox row of `event` for `entityId` once delivered to n8n. */
  const delivered = (event: string, entityId: string) =>
    waitFor(
      async () => {
        const row = await repo(OutboxEvent).findOneBy({ eventType: event as OutboxEvent['eventType'], entityId });
        return row?.status === 'sent' ? row : undefined;
      },
      { ...ROUND_TRIP, what: `${event} for ${entityId} delivered to n8n` },
    );

  /** The execution n8n reported as finished (workflow-completed) for the delivery `deliveryId`. */
  const completedExecution = (deliveryId: string, workflowId = RECEIVER) =>
    waitFor(
      async () => {
        const [row] = await t.dataSource.query(
          `SELECT execution_id FROM workflow_executions WHERE workflow_id = $1 AND status = 'success' AND data->>'delivery_id' = $2`,
          [workflowId, deliveryId],
        );
        return row ? repo(WorkflowExecution).findOneByOrFail({ executionId: row.execution_id }) : undefined;
      },
      { ...ROUND_TRIP, what: `n8n execution of delivery ${deliveryId} completed` },
    );

  const envelope = (event: string, entity: { type: string; id: string }, data: Record<string, unknown>) => {
    const id = randomUUID();
    return { id, body: JSON.stringify({ id, event, created_at: new Date().toISOString(), priority: 0, entity, data }) };
  };

  const postToN8n = async (path: string, body: string, headers: Record<string, string>) => {
    const res = await fetch(`${N8N_URL}/webhook/${path}`, { method: 'POST', headers, body });
    return { status: res.status, body: await res.json().catch(() => null) };
  };

  it('a lead insert reaches n8n, verifies there, and the signed callbacks n8n sends back are applied', async () => {
    const lead = await newLead();
    const event = await delivered('lead_scraped', lead.id);
    expect(event).toMatchObject({ targetUrl: `${N8N_URL}/webhook/lead-scraped`, lastStatusCode: 200, attempts: 1 });

    const execution = await completedExecution(event.id);
    expect(execution).toMatchObject({
      workflowId: RECEIVER,
      leadId: lead.id,
      status: 'success',
      progress: 100,
      lastStep: 'received lead_scraped',
      data: { event: 'lead_scraped', delivery_id: event.id },
    });

    // Both callbacks passed the bridge's signature check and were applied, each with its idempotency key.
    const logs = await waitFor(
      async () => {
        const rows = await repo(WebhookLog)
          .createQueryBuilder('log')
          .where(`log.direction = 'incoming' AND log.request_body LIKE :needle`, { needle: `%"execution_id":"${execution.executionId}"%` })
          .orderBy('log.created_at', 'ASC')
          .getMany();
        return rows.length >= 2 ? rows : undefined;
      },
      { ...ROUND_TRIP, what: 'incoming callbacks audited' },
    );
    expect(logs.map((l) => [l.endpoint, l.outcome, l.responseStatus])).toEqual([
      ['/api/v1/webhooks/n8n/workflow-status', 'accepted', 200],
      ['/api/v1/webhooks/n8n/workflow-completed', 'accepted', 200],
    ]);
    expect(logs.map((l) => l.deliveryId)).toEqual([
      expect.stringMatching(/^n8n-workflow-status-[0-9a-f]{40}$/),
      expect.stringMatching(/^n8n-workflow-completed-[0-9a-f]{40}$/),
    ]);
  });

  it('n8n answers 401 to tampered, wrongly signed, stale and unsigned requests, and acts on none of them', async () => {
    const lead = await newLead();
    const event = () =>
      envelope('lead_scraped', { type: 'lead', id: lead.id }, { lead: { id: lead.id, title: lead.title, status: 'new' } });

    const tampered = event();
    const forged = event();
    const stale = event();
    const unsigned = event();
    const refusals = [
      {
        id: tampered.id,
        reason: 'signature_mismatch',
        send: () =>
          postToN8n('lead-scraped', tampered.body.replace('Plombier à Lyon', 'Plombier à Paris'), signedHeaders(tampered.body, SECRET)),
      },
      {
        id: forged.id,
        reason: 'signature_mismatch',
        send: () => postToN8n('lead-scraped', forged.body, signedHeaders(forged.body, `${SECRET}-not-it`)),
      },
      {
        id: stale.id,
        reason: 'timestamp_out_of_tolerance',
        send: () => postToN8n('lead-scraped', stale.body, signedHeaders(stale.body, SECRET, { timestamp: nowSeconds() - 301 })),
      },
      {
        id: unsigned.id,
        reason: 'signature_missing',
        send: () => postToN8n('lead-scraped', unsigned.body, { 'content-type': 'application/json' }),
      },
    ];
    for (const refusal of refusals) {
      expect(await refusal.send()).toEqual({ status: 401, body: { received: false, error: refusal.reason } });
    }

    // The same request correctly signed is accepted and acted on, after the refused ones...
    const genuine = event();
    expect(await postToN8n('lead-scraped', genuine.body, signedHeaders(genuine.body, SECRET, { id: genuine.id }))).toEqual({
      status: 200,
      body: { received: true, id: genuine.id },
    });
    await completedExecution(genuine.id);

    // ...while none of the refused ones produced a callback, an execution or an error report.
    const refusedIds = refusals.map((r) => r.id);
    const [{ n: executions }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM workflow_executions WHERE data->>'delivery_id' = ANY($1)`,
      [refusedIds],
    );
    expect(executions).toBe(0);
    const callbacks = await repo(WebhookLog)
      .createQueryBuilder('log')
      .where(`log.direction = 'incoming' AND log.request_body LIKE ANY(:ids)`, { ids: refusedIds.map((id) => `%${id}%`) })
      .getCount();
    expect(callbacks).toBe(0);
    expect(await repo(WorkflowErrorReport).count()).toBe(0);
  });

  it('demo approval: a pending demo is sent to n8n, auto-approved there, and the demo-approval callback queues its video', async () => {
    const lead = await newLead();
    const demo = await repo(Demo).save(repo(Demo).create({ leadId: lead.id, status: 'completed', url: 'https://demos.example/plomberie' }));
    demo.approvalStatus = 'pending';
    await repo(Demo).save(demo);

    const request = await delivered('approval_requested', demo.id);
    const approved = await waitFor(
      async () => {
        const row = await repo(Demo).findOneByOrFail({ id: demo.id });
        return row.approvalStatus === 'approved' ? row : undefined;
      },
      { ...ROUND_TRIP, what: 'demo approved by n8n' },
    );
    const execution = await completedExecution(request.id);

    // The reviewer notes hold a non-ASCII character: n8n signed the exact bytes it sent.
    expect(approved).toMatchObject({
      reviewedBy: 'n8n auto-approve',
      reviewNotes: AUTO_APPROVE_NOTES,
      metadata: { approval_execution_id: execution.executionId },
    });
    const videos = await repo(Video).findBy({ demoId: demo.id });
    expect(videos).toHaveLength(1);
    expect(videos[0]).toMatchObject({ leadId: lead.id, status: 'queued' });
    expect(execution).toMatchObject({ leadId: lead.id, lastStep: 'received approval_requested', data: { event: 'approval_requested' } });
  });

  it('video approval: a pending video is auto-approved in n8n and the video-approval callback queues one outreach email', async () => {
    const lead = await newLead();
    const video = await repo(Video).save(
      repo(Video).create({ leadId: lead.id, status: 'completed', url: 'https://videos.example/plomberie.mp4' }),
    );
    video.approvalStatus = 'pending';
    await repo(Video).save(video);

    await delivered('approval_requested', video.id);
    const approved = await waitFor(
      async () => {
        const row = await repo(Video).findOneByOrFail({ id: video.id });
        return row.approvalStatus === 'approved' ? row : undefined;
      },
      { ...ROUND_TRIP, what: 'video approved by n8n' },
    );
    expect(approved.reviewedBy).toBe('n8n auto-approve');
    const emails = await repo(OutreachEmail).findBy({ videoId: video.id });
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ leadId: lead.id, status: 'queued', toAddress: 'contact@plomberie.example' });
  });

  it('a failing execution is reported by the error workflow, and the workflow_error it raises is verified by the alert workflow', async () => {
    const lead = await newLead();
    // A verified approval request with a subject the receiver does not know fails in n8n.
    const request = envelope(
      'approval_requested',
      { type: 'demo', id: randomUUID() },
      { subject: 'mystery', lead: { id: lead.id, title: lead.title } },
    );
    expect(await postToN8n('approval-requested', request.body, signedHeaders(request.body, SECRET, { id: request.id }))).toEqual({
      status: 200,
      body: { received: true, id: request.id },
    });

    const failed = await waitFor(() => repo(WorkflowExecution).findOneBy({ workflowId: RECEIVER, leadId: lead.id, status: 'error' }), {
      ...ROUND_TRIP,
      what: 'execution marked failed by error-notification',
    });
    expect(failed).toMatchObject({ lastStep: 'Build approval callback', error: expect.stringContaining('unknown subject "mystery"') });
    const report = await repo(WorkflowErrorReport).findOneByOrFail({ executionId: failed.executionId });
    expect(report).toMatchObject({ workflowId: RECEIVER, node: 'Build approval callback', severity: 'error' });

    // The bridge raised workflow_error; the alert workflow received it, verified it, and reported back.
    const [alert] = await waitFor(
      async () => {
        const rows = await t.dataSource.query(
          `SELECT id FROM webhook_queue WHERE event_type = 'workflow_error' AND status = 'sent' AND payload->'data'->>'execution_id' = $1`,
          [failed.executionId],
        );
        return rows.length ? rows : undefined;
      },
      { ...ROUND_TRIP, what: 'workflow_error delivered to n8n' },
    );
    const alertExecution = await completedExecution(alert.id, ALERTS);
    expect(alertExecution).toMatchObject({ lastStep: 'received workflow_error', data: { event: 'workflow_error' } });
  });
});
