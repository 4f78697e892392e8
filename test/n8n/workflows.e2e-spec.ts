import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validate } from 'class-validator';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import request from 'supertest';
import type { AppConfig } from '../../src/config/app-config';
import { hmacSignatureHex } from '../../src/security/signature';
import { isValidDeliveryId } from '../../src/security/signature';
import { keysFor, verifySignature } from '../../src/security/verify-signature';
import { WebhookSignerService } from '../../src/security/webhook-signer.service';
import { EVENT_TYPES, eventPath } from '../../src/events/event-catalog';
import { DemoApprovalDto, VideoApprovalDto } from '../../src/webhook-responses/dto/approval-callback.dto';
import { Demo } from '../../src/domain/demos/demo.entity';
import { Lead } from '../../src/domain/leads/lead.entity';
import { Video } from '../../src/domain/videos/video.entity';
import { ErrorNotificationDto, WorkflowCompletedDto, WorkflowStatusDto } from '../../src/webhook-responses/dto/workflow-callbacks.dto';
import { startTestApp, TestApp, TEST_WEBHOOK_SECRET } from '../support/test-app';
import { codeOf, loadWorkflows, N8nItem, runCodeNode } from './code-node-sandbox';

/**
 * The n8n workflows of n8n/ without n8n: their shape, and their Code nodes run against the
 * bridge's own signer, verifier and callback DTOs, so the two sides cannot drift apart unnoticed.
 * (test/n8n/roundtrip.n8n-spec.ts, run by `npm run test:n8n`, proves them inside a real n8n.)
 */
const SECRET = 'n8n-side-secret-0123456789abcdef0123456789';
const ENV = { WEBHOOK_SECRET: SECRET, BRIDGE_BASE_URL: 'http://bridge.test:3000/' };
const ROOT = join(__dirname, '..', '..');

const workflows = loadWorkflows();
const byId = (id: string) => {
  const found = Object.values(workflows).find((w) => w.id === id);
  if (!found) throw new Error(`no workflow ${id} in n8n/`);
  return found;
};
const receiver = byId('bridgeEventsRcv1');
const alerts = byId('bridgeAlertsRcv1');
const sender = byId('bridgeCallbacks1');
const reporter = byId('bridgeErrorsRpt1');

const CALLBACK_DTOS = {
  'demo-approval': DemoApprovalDto,
  'video-approval': VideoApprovalDto,
  'workflow-completed': WorkflowCompletedDto,
  'workflow-status': WorkflowStatusDto,
  'error-notification': ErrorNotificationDto,
} as const;
type Callback = keyof typeof CALLBACK_DTOS;

const signer = new WebhookSignerService({ webhook: { secrets: [SECRET], scheme: 'hmac-sha256' }, n8n: {} } as unknown as AppConfig);

/** A request exactly as the bridge sends it: body bytes and lower-cased headers. */
async function bridgeRequest(envelope: Record<string, unknown>, secret = SECRET, timestamp?: number) {
  const local =
    secret === SECRET
      ? signer
      : new WebhookSignerService({ webhook: { secrets: [secret], scheme: 'hmac-sha256' }, n8n: {} } as unknown as AppConfig);
  const { body, headers } = await local.buildSignedRequest(envelope, {
    id: String(envelope.id),
    event: String(envelope.event),
    attempt: 1,
    timestamp,
  });
  return { body: Buffer.from(body, 'utf8'), headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) };
}

const verify = (request: { body: Buffer; headers: Record<string, string> }, env: Record<string, string | undefined> = ENV) =>
  runCodeNode(codeOf(receiver, 'Verify signature'), {
    items: [{ json: { headers: request.headers, body: {} } }],
    binary: request.body,
    env,
  });

const leadEnvelope = (over: Record<string, unknown> = {}) => {
  const leadId = randomUUID();
  return {
    id: randomUUID(),
    event: 'lead_scraped',
    created_at: '2026-11-29T10:00:00.000Z',
    priority: 0,
    entity: { type: 'lead', id: leadId },
    data: { lead: { id: leadId, title: 'Plombier à Lyon — 20 ans', score: 82 } },
    ...over,
  };
};

const signCallbacks = (items: Array<Record<string, unknown>>, env: Record<string, string | undefined> = ENV) =>
  runCodeNode(codeOf(sender, 'Build and sign'), { items: items.map((json) => ({ json })), env });

describe('n8n workflows (n8n/*.json)', () => {
  it('are up to date with their sources (scripts/n8n/build-workflows.mjs)', () => {
    expect(() =>
      execFileSync(process.execPath, [join(ROOT, 'scripts/n8n/build-workflows.mjs'), '--check'], { stdio: 'pipe' }),
    ).not.toThrow();
  });

  it('have one POST webhook with Raw Body per event type, each answered by a Respond to Webhook node', () => {
    const webhooks = [...receiver.nodes, ...alerts.nodes].filter((n) => n.type === 'n8n-nodes-base.webhook');
    expect(webhooks.map((n) => n.parameters.path).sort()).toEqual(EVENT_TYPES.map(eventPath).sort());
    for (const hook of webhooks) {
      expect(hook.parameters).toMatchObject({ httpMethod: 'POST', responseMode: 'responseNode', options: { rawBody: true } });
      expect(hook.webhookId).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(alerts.nodes.filter((n) => n.type === 'n8n-nodes-base.webhook').map((n) => n.parameters.path)).toEqual(['workflow-error']);
  });

  it('report failures to the error workflow, call the callback sender by id, and hard-code no URL or secret', () => {
    for (const wf of [receiver, alerts]) expect(wf.settings.errorWorkflow).toBe(reporter.id);
    const calls = Object.values(workflows).flatMap((wf) => wf.nodes.filter((n) => n.type === 'n8n-nodes-base.executeWorkflow'));
    expect(calls).toHaveLength(7); // receiver: running, waiting, approval, completed; alerts: running, completed; reporter: error
    for (const call of calls) expect(call.parameters.workflowId).toMatchObject({ value: sender.id, mode: 'id' });
    // Progress reports are best effort; approvals, completions and error reports must get through.
    const bestEffort = calls.filter((n) => (n as { onError?: string }).onError === 'continueRegularOutput').map((n) => n.name);
    expect(bestEffort.sort()).toEqual(['Send running status', 'Send running status', 'Send waiting status']);
    // Where the bridge is and the secret come from n8n's environment, read by the Code nodes.
    const parameters = Object.values(workflows).flatMap((wf) => wf.nodes.map(({ parameters: { jsCode: _jsCode, ...rest } }) => rest));
    expect(JSON.stringify(parameters)).not.toMatch(/https?:\/\//);
    expect(codeOf(sender, 'Build and sign')).toMatch(
      /\$env\.BRIDGE_BASE_URL[\s\S]*\$env\.WEBHOOK_SECRET|\$env\.WEBHOOK_SECRET[\s\S]*\$env\.BRIDGE_BASE_URL/,
    );
    const post = sender.nodes.find((n) => n.type === 'n8n-nodes-base.httpRequest')!;
    expect(post.parameters).toMatchObject({
      url: '={{ $json.url }}',
      contentType: 'raw',
      rawContentType: 'application/json',
      body: '={{ $json.body }}',
    });
  });

  describe('receiver: "Verify signature"', () => {
    it("accepts the bridge's signed request over the exact bytes, and routes on the signed body", async () => {
      const envelope = leadEnvelope();
      const [out] = await verify(await bridgeRequest(envelope));
      expect(out!.json).toEqual({
        verified: true,
        delivery_id: envelope.id,
        attempt: 1,
        event: 'lead_scraped',
        lead_id: envelope.entity.id,
        envelope,
      });
    });

    it('verifies bytes that re-serialising would change (spacing, escapes, 1.0)', async () => {
      const body = Buffer.from('{ "id":"d-1", "event":"lead_qualified", "data":{"lead":{"title":"Caf\\u00e9", "score":1.0}} }', 'utf8');
      const timestamp = String(Math.floor(Date.now() / 1000));
      const headers = {
        'x-webhook-timestamp': timestamp,
        'x-webhook-signature-256': `sha256=${hmacSignatureHex(SECRET, timestamp, body)}`,
      };
      const [out] = await verify({ body, headers });
      expect(out!.json).toMatchObject({
        verified: true,
        event: 'lead_qualified',
        envelope: { data: { lead: { title: 'Café', score: 1 } } },
      });
    });

    it.each([
      [
        'a changed byte',
        async () => {
          const r = await bridgeRequest(leadEnvelope());
          r.body = Buffer.from(r.body.toString('utf8').replace('"score":82', '"score":83'), 'utf8');
          return r;
        },
        'signature_mismatch',
      ],
      ['another secret', async () => bridgeRequest(leadEnvelope(), `${SECRET}-other`), 'signature_mismatch'],
      [
        'a timestamp 301 s old',
        async () => bridgeRequest(leadEnvelope(), SECRET, Math.floor(Date.now() / 1000) - 301),
        'timestamp_out_of_tolerance',
      ],
      [
        'a timestamp 301 s ahead',
        async () => bridgeRequest(leadEnvelope(), SECRET, Math.floor(Date.now() / 1000) + 301),
        'timestamp_out_of_tolerance',
      ],
      [
        'no signature',
        async () => {
          const r = await bridgeRequest(leadEnvelope());
          delete r.headers['x-webhook-signature-256'];
          return r;
        },
        'signature_missing',
      ],
      [
        'no timestamp',
        async () => {
          const r = await bridgeRequest(leadEnvelope());
          delete r.headers['x-webhook-timestamp'];
          return r;
        },
        'timestamp_missing',
      ],
      [
        'a malformed signature',
        async () => {
          const r = await bridgeRequest(leadEnvelope());
          r.headers['x-webhook-signature-256'] = r.headers['x-webhook-signature-256']!.replace('sha256=', 'sha1=');
          return r;
        },
        'signature_malformed',
      ],
      [
        'a duplicated signature header',
        async () => {
          const r = await bridgeRequest(leadEnvelope());
          const s = r.headers['x-webhook-signature-256'];
          r.headers['x-webhook-signature-256'] = `${s}, ${s}`;
          return r;
        },
        'signature_malformed',
      ],
    ])('refuses %s with 401', async (_label, build, reason) => {
      const [out] = await verify(await build());
      expect(out!.json).toMatchObject({ verified: false, status: 401, reason });
    });

    it('accepts any secret of a comma-separated rotation list', async () => {
      const [out] = await verify(await bridgeRequest(leadEnvelope(), 'the-old-secret-0123456789abcdef'), {
        WEBHOOK_SECRET: `${SECRET}, the-old-secret-0123456789abcdef`,
      });
      expect(out!.json.verified).toBe(true);
    });

    it("accepts a subscription's request signed during a rotation (two signatures) with either secret, and refuses it with neither", async () => {
      const envelope = leadEnvelope();
      const body = JSON.stringify(envelope);
      const headers = await signer.sign(
        body,
        { id: envelope.id, event: envelope.event, attempt: 1 },
        { current: 'the-new-secret-0123456789abcdef01', previous: 'the-old-secret-0123456789abcdef01' },
      );
      const request = {
        body: Buffer.from(body),
        headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
      };
      expect(request.headers['x-webhook-signature-256']).toMatch(/^sha256=[0-9a-f]{64} sha256=[0-9a-f]{64}$/);
      for (const secret of ['the-new-secret-0123456789abcdef01', 'the-old-secret-0123456789abcdef01'])
        expect((await verify(request, { ...ENV, WEBHOOK_SECRET: secret }))[0]!.json.verified).toBe(true);
      expect((await verify(request, ENV))[0]!.json).toMatchObject({ verified: false, reason: 'signature_mismatch' });
    });

    it('answers 503 (the bridge retries) when n8n has no secret, and 400 to a signed body that is not an event', async () => {
      expect((await verify(await bridgeRequest(leadEnvelope()), {}))[0]!.json).toMatchObject({
        verified: false,
        status: 503,
        reason: 'secret_not_configured',
      });
      const body = Buffer.from('[1,2,3]');
      const timestamp = String(Math.floor(Date.now() / 1000));
      const headers = {
        'x-webhook-timestamp': timestamp,
        'x-webhook-signature-256': `sha256=${hmacSignatureHex(SECRET, timestamp, body)}`,
      };
      expect((await verify({ body, headers }))[0]!.json).toMatchObject({ verified: false, status: 400, reason: 'not_an_event_envelope' });
    });
  });

  describe('callback sender: "Build and sign"', () => {
    const samples: Record<Callback, Record<string, unknown>> = {
      'demo-approval': {
        demo_id: randomUUID(),
        approved: true,
        reviewer: 'Zoë Ødegaard',
        notes: 'Looks great — ship it',
        execution_id: '42',
      },
      'video-approval': { video_id: randomUUID(), approved: false, reviewer: 'marie', notes: null, execution_id: '43' },
      'workflow-completed': {
        workflow_id: 'bridgeEventsRcv1',
        execution_id: '44',
        status: 'success',
        lead_id: randomUUID(),
        result: { event: 'lead_scraped', n: 1.5 },
        finished_at: '2026-11-29T10:00:00.000Z',
      },
      'workflow-status': {
        workflow_id: 'bridgeEventsRcv1',
        execution_id: '45',
        status: 'running',
        progress: 0,
        step: 'received lead_scraped',
        lead_id: undefined,
      },
      'error-notification': {
        workflow_id: 'bridgeEventsRcv1',
        execution_id: '46',
        node: 'Build approval callback',
        error_message: 'boom',
        severity: 'error',
      },
    };

    it.each(Object.keys(CALLBACK_DTOS) as Callback[])(
      '%s: signs the exact text it sends, which the bridge verifies and validates',
      async (callback) => {
        const [out] = await signCallbacks([{ callback, payload: samples[callback] }]);
        expect(out!.json.url).toBe(`http://bridge.test:3000/api/v1/webhooks/n8n/${callback}`);

        const headers = {
          'x-webhook-timestamp': out!.json.timestamp,
          'x-webhook-signature-256': out!.json.signature,
          'x-webhook-id': out!.json.id,
        };
        const verdict = verifySignature({
          scheme: 'hmac-sha256',
          keys: keysFor('hmac-sha256', [SECRET]),
          toleranceSeconds: 300,
          body: Buffer.from(out!.json.body as string, 'utf8'),
          headers,
          now: Math.floor(Date.now() / 1000),
        });
        expect(verdict).toMatchObject({ ok: true, id: out!.json.id });
        expect(isValidDeliveryId(out!.json.id as string)).toBe(true);

        const sent = JSON.parse(out!.json.body as string);
        const expected = Object.fromEntries(Object.entries(samples[callback]).filter(([, v]) => v !== undefined && v !== null));
        expect(sent).toEqual(expected);
        const errors = await validate(plainToInstance(CALLBACK_DTOS[callback] as new () => object, sent), {
          whitelist: true,
          forbidNonWhitelisted: true,
        });
        expect(errors).toEqual([]);
      },
    );

    it("knows exactly the fields of each callback's DTO", async () => {
      for (const [callback, dto] of Object.entries(CALLBACK_DTOS)) {
        const fields = [
          ...new Set(
            getMetadataStorage()
              .getTargetValidationMetadatas(dto, '', true, false)
              .map((m) => m.propertyName),
          ),
        ].sort();
        const payload = Object.fromEntries(fields.map((f) => [f, 'x']));
        await expect(signCallbacks([{ callback, payload }])).resolves.toHaveLength(1);
        await expect(signCallbacks([{ callback, payload: { ...payload, extra_field: 1 } }])).rejects.toThrow(
          `Callback ${callback} does not take: extra_field`,
        );
      }
    });

    it('refuses one given idempotency key for items with different content (the bridge would apply only the first), not for copies', async () => {
      const items = [1, 2, 3].map((n) => ({
        callback: 'workflow-status',
        payload: { ...samples['workflow-status'], progress: n },
        idempotency_key: '45-send-status',
      }));
      await expect(signCallbacks(items)).rejects.toThrow(
        'idempotency_key "45-send-status" is given to several items with different content',
      );
      const perItem = await signCallbacks(items.map((item, i) => ({ ...item, idempotency_key: `45-send-status-0-${i}` })));
      expect(perItem.map((o) => o.json.id)).toEqual(['45-send-status-0-0', '45-send-status-0-1', '45-send-status-0-2']);
      const copies = await signCallbacks([items[0]!, items[0]!]);
      expect(copies.map((o) => o.json.id)).toEqual(['45-send-status', '45-send-status']);
    });

    it('gives the same content the same X-Webhook-Id, keeps a given idempotency key, and refuses what it cannot send', async () => {
      const item = { callback: 'workflow-status', payload: samples['workflow-status'] };
      const [a, b, c] = await signCallbacks([item, item, { ...item, idempotency_key: 'my-key-1' }]);
      expect(a!.json.id).toBe(b!.json.id);
      expect(c!.json.id).toBe('my-key-1');
      await expect(signCallbacks([{ callback: 'lead-update', payload: {} }])).rejects.toThrow('Unknown callback "lead-update"');
      await expect(signCallbacks([item], { WEBHOOK_SECRET: SECRET })).rejects.toThrow('BRIDGE_BASE_URL is not set');
      await expect(signCallbacks([item], { BRIDGE_BASE_URL: 'http://bridge.test' })).rejects.toThrow('WEBHOOK_SECRET is not set');
    });
  });

  describe('the payloads the workflows build', () => {
    const verified = (envelope: { id: string; event: string; data: { lead?: { id: string }; [key: string]: unknown } }) => ({
      'Verify signature': [
        { json: { verified: true, delivery_id: envelope.id, event: envelope.event, lead_id: envelope.data.lead?.id ?? null, envelope } },
      ],
    });

    it('approval: demo-approval or video-approval by subject; an unknown subject fails the execution', async () => {
      const code = codeOf(receiver, 'Build approval callback');
      const decision = [{ json: { approved: true, reviewer: 'n8n auto-approve', notes: 'ok' } }];
      const demo = {
        id: 'e1',
        event: 'approval_requested',
        entity: { type: 'demo', id: randomUUID() },
        data: { subject: 'demo', lead: { id: randomUUID() } },
      };
      const [out] = await runCodeNode(code, { items: decision, nodes: verified(demo), executionId: '7' });
      expect(out!.json).toEqual({
        callback: 'demo-approval',
        payload: { demo_id: demo.entity.id, approved: true, reviewer: 'n8n auto-approve', notes: 'ok', execution_id: '7' },
      });
      const video = { ...demo, entity: { type: 'video', id: randomUUID() }, data: { subject: 'video' } };
      expect((await runCodeNode(code, { items: decision, nodes: verified(video) }))[0]!.json).toMatchObject({
        callback: 'video-approval',
        payload: { video_id: video.entity.id },
      });
      await expect(runCodeNode(code, { items: decision, nodes: verified({ ...demo, data: { subject: 'mystery' } }) })).rejects.toThrow(
        'unknown subject "mystery"',
      );
    });

    it('error workflow: reports a failed execution, but not a refused (unverified) request', async () => {
      const code = codeOf(reporter, 'Describe failure');
      const failure = {
        execution: { id: '9', lastNodeExecuted: 'Send approval', error: { message: 'Request failed with status 503' } },
        workflow: { id: 'bridgeEventsRcv1', name: 'Bridge: receive events' },
      };
      expect((await runCodeNode(code, { items: [{ json: failure }] }))[0]!.json).toEqual({
        callback: 'error-notification',
        payload: {
          workflow_id: 'bridgeEventsRcv1',
          execution_id: '9',
          node: 'Send approval',
          error_message: 'Request failed with status 503',
          severity: 'error',
        },
      });
      const refused = { ...failure, execution: { ...failure.execution, lastNodeExecuted: 'Refuse unverified request' } };
      expect(await runCodeNode(code, { items: [{ json: refused }] })).toEqual([]);
    });

    it('status and completion reports carry the execution, the lead and the delivery', async () => {
      const envelope = leadEnvelope();
      const nodes = verified(envelope);
      const [running] = await runCodeNode(codeOf(receiver, 'Report running'), { nodes, executionId: '11', workflowId: 'bridgeEventsRcv1' });
      expect(running!.json).toEqual({
        callback: 'workflow-status',
        payload: {
          workflow_id: 'bridgeEventsRcv1',
          execution_id: '11',
          status: 'running',
          progress: 0,
          step: 'received lead_scraped',
          lead_id: envelope.entity.id,
        },
      });
      const [completed] = await runCodeNode(codeOf(receiver, 'Report completed'), {
        nodes,
        executionId: '11',
        workflowId: 'bridgeEventsRcv1',
      });
      expect(completed!.json.payload).toMatchObject({
        status: 'success',
        lead_id: envelope.entity.id,
        result: { event: 'lead_scraped', delivery_id: envelope.id },
      });
    });
  });
  describe('several items from one node in one execution, sent to the bridge', () => {
    // The bridge's own secret on the n8n side: the sender's output is posted to a real bridge.
    const env = { WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, BRIDGE_BASE_URL: 'http://bridge.test:3000' };
    const executionId = '77';
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(async () => {
      await (t as TestApp | undefined)?.close();
    });

    const pendingDemos = async (n: number) => {
      const demos: Demo[] = [];
      for (let i = 0; i < n; i++) {
        const lead = await t.dataSource
          .getRepository(Lead)
          .save({ title: `Shop ${i}`, url: `https://ads.example/${randomUUID()}`, email: 'shop@example.test' });
        demos.push(
          await t.dataSource
            .getRepository(Demo)
            .save({ leadId: lead.id, status: 'completed', approvalStatus: 'pending', url: 'https://demos.example/x' }),
        );
      }
      return demos;
    };
    /** The output of one node: one demo-approval per demo, all in execution 77. */
    const approvals = (demos: Demo[], over: (i: number) => Record<string, unknown> = () => ({})) =>
      demos.map((demo, i) => ({
        callback: 'demo-approval',
        payload: { demo_id: demo.id, approved: true, reviewer: 'batch reviewer', execution_id: executionId },
        ...over(i),
      }));

    /** Sends one output item of "Build and sign" as its "POST to bridge" node does: its URL, its header expressions, the raw body. */
    const postAsN8n = (item: N8nItem) => {
      const node = sender.nodes.find((n) => n.name === 'POST to bridge')!;
      const field = (expression: string) => {
        const name = /^=\{\{ \$json\.(\w+) \}\}$/.exec(expression)?.[1];
        if (!name) throw new Error(`expression not emulated here: ${expression}`);
        return String(item.json[name]);
      };
      const headers: Record<string, string> = { 'content-type': node.parameters.rawContentType as string };
      for (const { name, value } of (node.parameters.headerParameters as { parameters: { name: string; value: string }[] }).parameters)
        headers[name.toLowerCase()] = field(value);
      return request(t.http)
        .post(new URL(field(node.parameters.url as string)).pathname)
        .set(headers)
        .send(field(node.parameters.body as string));
    };
    const decisions = async (demos: Demo[]) =>
      (await t.dataSource.getRepository(Demo).findBy(demos.map(({ id }) => ({ id })))).map((d) => [d.id, d.approvalStatus]);

    it.each([
      ['derived from the content (no key given)', () => ({})],
      ['given per item: <execution>-<node>-<run>-<item>', (i: number) => ({ idempotency_key: `${executionId}-Decide-0-${i}` })],
    ])('each item gets its own key and is applied: three demos, three approvals (%s)', async (_label, key) => {
      const demos = await pendingDemos(3);
      const signed = await signCallbacks(approvals(demos, key), env);
      expect(new Set(signed.map((s) => s.json.id)).size).toBe(3);

      for (const item of signed) {
        const res = await postAsN8n(item).expect(200);
        expect(res.headers['idempotent-replayed']).toBeUndefined();
      }
      expect(await decisions(demos)).toEqual(expect.arrayContaining(demos.map((d) => [d.id, 'approved'])));
      expect(await t.dataSource.getRepository(Video).countBy(demos.map((d) => ({ demoId: d.id })))).toBe(3);
      // A retry of the same items (re-signed) is answered from the store and applies nothing more.
      for (const item of await signCallbacks(approvals(demos, key), env))
        expect((await postAsN8n(item).expect(200)).headers['idempotent-replayed']).toBe('true');
      expect(await t.dataSource.getRepository(Video).countBy(demos.map((d) => ({ demoId: d.id })))).toBe(3);
    });

    it('the old recipe, one key for every item of the node: refused by the sender, and by the bridge (422) if sent anyway', async () => {
      const demos = await pendingDemos(3);
      const shared = () => ({ idempotency_key: `${executionId}-Decide` });
      await expect(signCallbacks(approvals(demos, shared), env)).rejects.toThrow('is given to several items with different content');

      // Sent one item per call (the check only sees one call's items): the first is applied, the others refused.
      const answers = [];
      for (const item of approvals(demos, shared)) answers.push(await postAsN8n((await signCallbacks([item], env))[0]!));
      expect(answers.map((r) => r.status)).toEqual([200, 422, 422]);
      expect(answers[1]!.body.error).toBe('idempotency_key_reused');
      expect(await decisions(demos)).toEqual(
        expect.arrayContaining([
          [demos[0]!.id, 'approved'],
          [demos[1]!.id, 'pending'],
          [demos[2]!.id, 'pending'],
        ]),
      );
    });
  });
});
