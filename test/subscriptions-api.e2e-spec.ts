import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { EVENT_TYPES, EventType } from '../src/events/event-catalog';
import { WebhookQueueService } from '../src/queue/webhook-queue.service';
import { BUILT_IN_SUBSCRIPTION_ID } from '../src/subscriptions/subscription.entity';
import { TriggerService } from '../src/triggers/trigger.service';
import { spawnBridge, stopBridge } from './support/bridge-process';
import { ReceivedRequest, Reply, signatureCount, signatureVerifies, TestReceiver } from './support/receiver';
import { baseTestEnv, deleteRedisPrefix, startTestApp, TEST_ADMIN_TOKEN, TEST_WEBHOOK_SECRET, TestApp } from './support/test-app';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { waitFor } from './support/wait';

const SUBS = '/api/v1/webhooks/subscriptions';
const QUEUE = '/api/v1/webhooks/queue';
const HMAC_SECRET = /^[0-9a-f]{64}$/;
const OK = (): Reply => ({ status: 200, body: '{"ok":true}' });

interface FieldError {
  field: string;
  errors: string[];
}

describe('subscriptions admin API (e2e, real Postgres and Redis)', () => {
  /** Stands in for n8n: the built-in subscription's target. */
  const n8n = new TestReceiver();
  /** The subscriptions' receiver; each test uses its own path prefix. */
  const hook = new TestReceiver();
  /** Every secret the API handed out, to look for it where it must never be. */
  const secrets: string[] = [];
  let t: TestApp;

  beforeAll(async () => {
    await Promise.all([n8n.start(), hook.start()]);
    t = await startTestApp({
      N8N_BASE_URL: n8n.url,
      N8N_WEBHOOK_URL_DEMO_FAILED: `${n8n.url}/custom/demo-failed`,
      WEBHOOK_RETRY_DELAYS_MS: '200',
      WEBHOOK_TIMEOUT_MS: '3000',
      OUTBOX_RELAY_INTERVAL_MS: '200',
      REPLAY_MAX_EVENTS: '3',
    });
  });
  afterAll(async () => {
    await (t as TestApp | undefined)?.close();
    await Promise.all([n8n.stop(), hook.stop()]);
  });

  const api = (method: 'get' | 'post' | 'patch' | 'delete', path: string) =>
    request(t.http)[method](path).set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`);
  const unique = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;
  /** Creates a subscription through the API (201 expected) and remembers its secret. */
  const create = async (body: Record<string, unknown>) => {
    const res = await api('post', SUBS).send(body).expect(201);
    secrets.push(res.body.secret);
    return res.body as { id: string; name: string; secret: string } & Record<string, unknown>;
  };
  const emit = async (type: EventType, entityId: string, data: Record<string, unknown> = {}) =>
    (await t.app.get(TriggerService).emit(type, { entity: { type: 'test', id: entityId }, data }))!.id;
  /** The delivery of an event to a subscription. */
  const deliveryOf = async (subscriptionId: string, eventId: string) =>
    (
      await t.dataSource.query(
        `SELECT id, event_id, status, last_error, target_url FROM webhook_queue WHERE subscription_id = $1 AND event_id = $2`,
        [subscriptionId, eventId],
      )
    )[0] as { id: string; event_id: string; status: string; last_error: string | null; target_url: string } | undefined;
  const waitDelivery = (subscriptionId: string, eventId: string, status: string) =>
    waitFor(
      async () => ((await deliveryOf(subscriptionId, eventId))?.status === status ? deliveryOf(subscriptionId, eventId) : undefined),
      {
        what: `delivery of ${eventId} to ${subscriptionId} ${status}`,
      },
    );
  /** The row is committed before the worker hands the job back to BullMQ: a job still active is skipped by replay and recover. */
  const jobSettled = (deliveryId: string, state: 'completed' | 'failed') =>
    waitFor(async () => (await t.app.get(WebhookQueueService).jobState(deliveryId)) === state, { what: `job ${deliveryId} ${state}` });
  const at = (prefix: string) => (r: ReceivedRequest) => r.path.startsWith(prefix);
  const fields = (res: request.Response) => (res.body.details as FieldError[]).map((d) => d.field);
  const errorsOf = (res: request.Response, field: string) =>
    (res.body.details as FieldError[]).filter((d) => d.field === field).flatMap((d) => d.errors);
  const liveCount = async () =>
    (await t.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM webhook_subscriptions WHERE deleted_at IS NULL`))[0]!.n;

  describe('access', () => {
    const id = randomUUID();
    it.each([
      ['post', SUBS],
      ['get', SUBS],
      ['get', `${SUBS}/${id}`],
      ['patch', `${SUBS}/${id}`],
      ['delete', `${SUBS}/${id}`],
      ['post', `${SUBS}/${id}/rotate-secret`],
      ['post', `${SUBS}/${id}/recover`],
      ['post', `${SUBS}/${id}/test`],
    ] as const)('%s %s answers 401 without the bearer token, and with a wrong one', async (method, path) => {
      expect((await request(t.http)[method](path).expect(401)).body.error).toBe('unauthorized');
      await request(t.http)[method](path).set('Authorization', 'Bearer not-the-token').expect(401);
    });
  });

  describe('create, read, list', () => {
    it('creates a subscription (201) and shows its generated secret once; GET and the list never show it', async () => {
      const name = unique('crm');
      const res = await api('post', SUBS)
        .send({
          name,
          url: `${hook.url}/crm/{event}`,
          event_types: ['lead_scraped', 'lead_qualified'],
          headers: { 'X-Api-Key': 'receiver-key' },
          description: 'CRM sync',
        })
        .expect(201);
      const { secret, ...shown } = res.body;
      secrets.push(secret);
      expect(secret).toMatch(HMAC_SECRET);
      expect(shown).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name,
        url: `${hook.url}/crm/{event}`,
        event_types: ['lead_scraped', 'lead_qualified'],
        enabled: true,
        ordering: 'none',
        headers: { 'X-Api-Key': 'receiver-key' },
        description: 'CRM sync',
        built_in: false,
        disabled_reason: null,
        disabled_at: null,
        failing_since: null,
        secret_rotation: null,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });

      const [stored] = await t.dataSource.query(`SELECT secret_enc FROM webhook_subscriptions WHERE id = $1`, [shown.id]);
      expect(stored.secret_enc).toMatch(/^v1:/);
      expect(stored.secret_enc).not.toContain(secret);

      const one = await api('get', `${SUBS}/${shown.id}`).expect(200);
      expect(one.body).toEqual(shown);
      const list = await api('get', SUBS).expect(200);
      expect(list.body.items).toContainEqual(shown);
      for (const text of [one.text, list.text]) {
        expect(text).not.toContain(secret);
        expect(text).not.toMatch(/secret_enc|"secret"/);
      }
    });

    it('takes a given secret that fits the scheme, with the defaults for what is left out', async () => {
      const secret = `given-secret-${'x'.repeat(40)}`;
      const sub = await create({ name: unique('given'), url: `${hook.url}/given`, event_types: ['*'], secret });
      expect(sub.secret).toBe(secret);
      expect(sub).toMatchObject({ event_types: ['*'], enabled: true, ordering: 'none', headers: {}, description: null });
      // The stored secret is the given one: the test webhook verifies with it.
      await api('post', `${SUBS}/${sub.id}/test`).expect(200);
      const [received] = hook.requests.filter(at('/given'));
      expect(signatureVerifies(received!, secret)).toBe(true);
    });

    it.each([
      ['a URL that is not http(s)', { url: 'ftp://example.com/x' }, 'url'],
      ['a URL that is not one', { url: 'not a url' }, 'url'],
      ['a placeholder other than {event}', { url: 'https://example.com/{type}' }, 'url'],
      ['credentials in the URL', { url: 'https://user:pw@example.com/x' }, 'url'],
      ['an unknown event type', { event_types: ['lead_scraped', 'lead_exploded'] }, 'event_types'],
      ['"*" mixed with event types', { event_types: ['*', 'lead_scraped'] }, 'event_types'],
      ['an empty event list', { event_types: [] }, 'event_types'],
      ['a repeated event type', { event_types: ['email_sent', 'email_sent'] }, 'event_types'],
      ['a reserved header', { headers: { 'x-webhook-signature-256': 'sha256=forged' } }, 'headers'],
      ['a reserved header in another case', { headers: { 'Content-Type': 'text/plain' } }, 'headers'],
      ['a header value with CR LF', { headers: { 'X-Note': 'a\r\nX-Injected: 1' } }, 'headers'],
      ['an invalid header name', { headers: { 'bad name': 'x' } }, 'headers'],
      ['more than 20 headers', { headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v'])) }, 'headers'],
      ['an unknown ordering', { ordering: 'fifo' }, 'ordering'],
      ['an empty name', { name: '' }, 'name'],
      ['a name of 101 characters', { name: 'n'.repeat(101) }, 'name'],
      ['a description over 1000 characters', { description: 'd'.repeat(1001) }, 'description'],
      ['a secret too short for hmac-sha256', { secret: 'short-secret' }, 'secret'],
      ['a secret with spaces', { secret: `${'s'.repeat(20)} ${'s'.repeat(20)}` }, 'secret'],
      ['an unknown field', { colour: 'blue' }, 'colour'],
    ])('answers 400 naming the field for %s, and stores nothing', async (_label, change, field) => {
      const before = await liveCount();
      const body = { name: unique('bad'), url: `${hook.url}/bad/{event}`, event_types: ['lead_scraped'], ...change };
      const res = await api('post', SUBS).send(body).expect(400);
      expect(res.body.error).toBe('validation_failed');
      expect(fields(res)).toEqual([field]);
      expect(await liveCount()).toBe(before);
    });

    it('names every bad field at once, and what is wrong with a header', async () => {
      const res = await api('post', SUBS)
        .send({ url: 'mailto:a@b.c', event_types: ['*', 'nope'], headers: { 'X-Webhook-Id': 'mine' } })
        .expect(400);
      expect(fields(res).sort()).toEqual(['event_types', 'headers', 'name', 'url']);
      expect(errorsOf(res, 'headers').join()).toMatch(/"X-Webhook-Id".*sets it itself/);
      expect(errorsOf(res, 'event_types').join()).toMatch(/unknown event types: "nope"/);
      expect(errorsOf(res, 'event_types').join()).toMatch(/cannot combine "\*"/);
    });

    it('never quotes a refused secret back', async () => {
      const refused = 'refused secret with spaces in it, long enough';
      const res = await api('post', SUBS)
        .send({ name: unique('q'), url: `${hook.url}/q`, event_types: ['*'], secret: refused })
        .expect(400);
      expect(fields(res)).toEqual(['secret']);
      expect(res.text).not.toContain(refused);
    });

    it('answers 409 for a name already in use, on create and on a PATCH rename; a deleted one frees its name', async () => {
      const first = await create({ name: unique('dup'), url: `${hook.url}/dup`, event_types: ['*'] });
      const second = await create({ name: unique('dup'), url: `${hook.url}/dup`, event_types: ['*'] });
      const again = await api('post', SUBS)
        .send({ name: first.name, url: `${hook.url}/dup2`, event_types: ['*'] })
        .expect(409);
      expect(again.body).toMatchObject({ error: 'conflict', details: { field: 'name', name: first.name } });
      const rename = await api('patch', `${SUBS}/${second.id}`).send({ name: first.name }).expect(409);
      expect(rename.body.error).toBe('conflict');
      expect((await api('get', `${SUBS}/${second.id}`).expect(200)).body.name).toBe(second.name);

      await api('delete', `${SUBS}/${first.id}`).expect(200);
      await api('patch', `${SUBS}/${second.id}`).send({ name: first.name }).expect(200);
    });

    it('answers 404 for an unknown id and for one that is not a uuid, on every route', async () => {
      for (const id of [randomUUID(), 'not-a-uuid']) {
        const res = await api('get', `${SUBS}/${id}`).expect(404);
        expect(res.body.error).toBe('not_found');
        await api('patch', `${SUBS}/${id}`).send({ enabled: false }).expect(404);
        await api('delete', `${SUBS}/${id}`).expect(404);
        await api('post', `${SUBS}/${id}/rotate-secret`).expect(404);
        await api('post', `${SUBS}/${id}/recover`).send({ since: '2026-01-01' }).expect(404);
        await api('post', `${SUBS}/${id}/test`).expect(404);
      }
    });

    it('documents the routes in OpenAPI without the stored secret columns', async () => {
      const { body } = await request(t.http).get('/docs-json').expect(200);
      for (const path of ['', '/{id}', '/{id}/rotate-secret', '/{id}/recover', '/{id}/test'])
        expect(body.paths).toHaveProperty([`${SUBS}${path}`]);
      expect(JSON.stringify(body.components.schemas.SubscriptionResponse)).not.toMatch(/secret_enc|"secret"/);
      expect(body.components.schemas.CreatedSubscriptionResponse).toBeDefined();
    });
  });

  describe('PATCH', () => {
    it('changes the given fields only; disabling records why, enabling clears it', async () => {
      const sub = await create({ name: unique('patch'), url: `${hook.url}/p/{event}`, event_types: ['lead_scraped'] });
      const off = await api('patch', `${SUBS}/${sub.id}`)
        .send({ enabled: false, ordering: 'per_entity', headers: { 'X-Team': 'growth' }, description: 'paused' })
        .expect(200);
      expect(off.body).toMatchObject({
        name: sub.name,
        url: `${hook.url}/p/{event}`,
        event_types: ['lead_scraped'],
        enabled: false,
        ordering: 'per_entity',
        headers: { 'X-Team': 'growth' },
        description: 'paused',
        disabled_reason: 'disabled by an operator',
        disabled_at: expect.any(String),
      });
      const on = await api('patch', `${SUBS}/${sub.id}`)
        .send({ enabled: true, description: null, event_types: ['*'] })
        .expect(200);
      expect(on.body).toMatchObject({ enabled: true, disabled_reason: null, disabled_at: null, description: null, event_types: ['*'] });
      expect(on.text).not.toContain(sub.secret);
      // A per_entity subscription to every event would add chains to the ordering stats below.
      await api('delete', `${SUBS}/${sub.id}`).expect(200);
    });

    it('refuses a secret in the body with a 400 naming it and pointing to rotate-secret, and changes nothing', async () => {
      const sub = await create({ name: unique('nosecret'), url: `${hook.url}/ns`, event_types: ['*'] });
      const res = await api('patch', `${SUBS}/${sub.id}`)
        .send({ description: 'changed', secret: `new-${'s'.repeat(40)}` })
        .expect(400);
      expect(fields(res)).toEqual(['secret']);
      expect(errorsOf(res, 'secret').join()).toMatch(/rotate-secret/);
      expect((await api('get', `${SUBS}/${sub.id}`).expect(200)).body.description).toBeNull();
    });

    it.each([
      ['a null name', { name: null }, 'name'],
      ['a bad URL', { url: 'javascript:alert(1)' }, 'url'],
      ['a null URL', { url: null }, 'url'],
      ['an unknown event type', { event_types: ['everything'] }, 'event_types'],
      ['a reserved header', { headers: { Authorization: 'Bearer x' } }, 'headers'],
      ['a bad ordering', { ordering: 'strict' }, 'ordering'],
    ])('answers 400 for %s', async (_label, body, field) => {
      const sub = await create({ name: unique('patch400'), url: `${hook.url}/p4`, event_types: ['*'] });
      expect(fields(await api('patch', `${SUBS}/${sub.id}`).send(body).expect(400))).toEqual([field]);
    });
  });

  describe('the built-in subscription', () => {
    it('is listed first, read-only, with its URL template and overrides from the environment', async () => {
      const { body } = await api('get', SUBS).expect(200);
      expect(body.items[0]).toMatchObject({
        id: BUILT_IN_SUBSCRIPTION_ID,
        built_in: true,
        url: `${n8n.url}/webhook/{event}`,
        url_overrides: { demo_failed: `${n8n.url}/custom/demo-failed` },
        event_types: [...EVENT_TYPES],
        enabled: true,
        secret_rotation: null,
      });
      expect(body.items.slice(1).every((s: { built_in: boolean; url_overrides?: unknown }) => !s.built_in && !('url_overrides' in s))).toBe(
        true,
      );
    });

    it('answers 409 built_in_subscription_read_only to PATCH, DELETE and rotate-secret, and stays as it was', async () => {
      const before = (await api('get', `${SUBS}/${BUILT_IN_SUBSCRIPTION_ID}`).expect(200)).body;
      for (const req of [
        api('patch', `${SUBS}/${BUILT_IN_SUBSCRIPTION_ID}`).send({ enabled: false }),
        api('delete', `${SUBS}/${BUILT_IN_SUBSCRIPTION_ID}`),
        api('post', `${SUBS}/${BUILT_IN_SUBSCRIPTION_ID}/rotate-secret`),
      ]) {
        const res = await req.expect(409);
        expect(res.body.error).toBe('built_in_subscription_read_only');
        expect(res.body.message).toMatch(/N8N_BASE_URL/);
      }
      expect((await api('get', `${SUBS}/${BUILT_IN_SUBSCRIPTION_ID}`).expect(200)).body).toEqual(before);
    });

    it('test sends a webhook_test to N8N_BASE_URL/webhook/webhook-test signed with WEBHOOK_SECRET', async () => {
      const res = await api('post', `${SUBS}/${BUILT_IN_SUBSCRIPTION_ID}/test`).expect(200);
      expect(res.body).toMatchObject({ url: `${n8n.url}/webhook/webhook-test`, status_code: 200, ok: true, error: null });
      const [received] = n8n.requests.filter(at('/webhook/webhook-test'));
      expect(received!.body).toMatchObject({ event: 'webhook_test', entity: { type: 'subscription', id: BUILT_IN_SUBSCRIPTION_ID } });
      expect(signatureVerifies(received!, TEST_WEBHOOK_SECRET)).toBe(true);
    });

    it('recover re-sends its failed deliveries since a time, with their ids', async () => {
      const entity = unique('builtin-recover');
      n8n.respondWith((req) => (req.body?.entity?.id === entity ? { status: 422 } : { status: 200 }));
      const since = new Date().toISOString();
      let eventId: string;
      try {
        eventId = await emit('lead_scraped', entity);
        await waitDelivery(BUILT_IN_SUBSCRIPTION_ID, eventId, 'failed');
        // The built-in subscription's delivery id is the event id.
        await jobSettled(eventId, 'failed');
      } finally {
        n8n.respondWith(OK);
      }
      const res = await api('post', `${SUBS}/${BUILT_IN_SUBSCRIPTION_ID}/recover`).send({ since }).expect(200);
      expect(res.body).toEqual({ recovered: 1 });
      await waitDelivery(BUILT_IN_SUBSCRIPTION_ID, eventId, 'sent');
      const hits = n8n.requests.filter((r) => r.body?.entity?.id === entity);
      expect(hits.map((r) => [r.headers['x-webhook-id'], r.answered])).toEqual([
        [eventId, 422],
        [eventId, 200],
      ]);
    });
  });

  describe('rotate-secret', () => {
    it('returns a new secret once; both secrets sign during the grace period', async () => {
      const sub = await create({ name: unique('rotate'), url: `${hook.url}/rot/{event}`, event_types: ['*'] });
      const started = Date.now();
      const res = await api('post', `${SUBS}/${sub.id}/rotate-secret`).expect(200);
      secrets.push(res.body.secret);
      expect(res.body.secret).toMatch(HMAC_SECRET);
      expect(res.body.secret).not.toBe(sub.secret);
      const expires = Date.parse(res.body.previous_secret_expires_at);
      expect(expires - started).toBeGreaterThanOrEqual(24 * 3600_000 - 1000);
      expect(expires - Date.now()).toBeLessThanOrEqual(24 * 3600_000);

      const shown = await api('get', `${SUBS}/${sub.id}`).expect(200);
      expect(shown.body.secret_rotation).toEqual({ previous_secret_expires_at: res.body.previous_secret_expires_at });
      expect(shown.text).not.toContain(res.body.secret);

      await api('post', `${SUBS}/${sub.id}/test`).expect(200);
      const [received] = hook.requests.filter(at('/rot/'));
      expect(signatureCount(received!)).toBe(2);
      expect(signatureVerifies(received!, res.body.secret)).toBe(true);
      expect(signatureVerifies(received!, sub.secret)).toBe(true);
    });

    it('takes a given secret, refuses a bad one with a 400 naming it (the secret stays)', async () => {
      const sub = await create({ name: unique('rotate-given'), url: `${hook.url}/rotg`, event_types: ['*'] });
      expect(fields(await api('post', `${SUBS}/${sub.id}/rotate-secret`).send({ secret: 'too-short' }).expect(400))).toEqual(['secret']);
      const given = `rotated-${'r'.repeat(40)}`;
      const res = await api('post', `${SUBS}/${sub.id}/rotate-secret`).send({ secret: given }).expect(200);
      expect(res.body.secret).toBe(given);
      await api('post', `${SUBS}/${sub.id}/test`).expect(200);
      const [received] = hook.requests.filter(at('/rotg'));
      // Rotated once: the new secret and the creation one (the refused one never became a secret).
      expect(signatureCount(received!)).toBe(2);
      expect(signatureVerifies(received!, given)).toBe(true);
      expect(signatureVerifies(received!, sub.secret)).toBe(true);
    });
  });

  describe('test', () => {
    it('POSTs a signed webhook_test to the URL with {event} = webhook-test, with the extra headers, and shows the answer', async () => {
      const sub = await create({
        name: unique('tested'),
        url: `${hook.url}/tested/{event}?source=bridge`,
        event_types: ['lead_scraped'],
        headers: { 'X-Api-Key': 'k-123' },
      });
      const res = await api('post', `${SUBS}/${sub.id}/test`).expect(200);
      expect(res.body).toEqual({
        url: `${hook.url}/tested/webhook-test?source=bridge`,
        status_code: 200,
        ok: true,
        duration_ms: expect.any(Number),
        response_excerpt: '{"ok":true}',
        error: null,
      });
      const received = hook.requests.filter(at('/tested/'));
      expect(received).toHaveLength(1);
      const [req] = received;
      expect(req!.path).toBe('/tested/webhook-test?source=bridge');
      expect(req!.body).toEqual({
        id: req!.headers['x-webhook-id'],
        event: 'webhook_test',
        created_at: expect.any(String),
        priority: 0,
        entity: { type: 'subscription', id: sub.id },
        data: { message: expect.any(String) },
      });
      expect(req!.headers).toMatchObject({ 'x-webhook-event': 'webhook_test', 'x-api-key': 'k-123' });
      expect(signatureVerifies(req!, sub.secret)).toBe(true);
      expect(signatureVerifies(req!, TEST_WEBHOOK_SECRET)).toBe(false);
      // Not an event: nothing was recorded.
      const [recorded] = await t.dataSource.query(
        `SELECT (SELECT count(*) FROM webhook_queue WHERE entity_id = $1 OR event_id = $2)::int AS deliveries,
                (SELECT count(*) FROM webhook_logs WHERE delivery_id = $2::text)::int AS logs`,
        [sub.id, req!.body.id],
      );
      expect(recorded).toEqual({ deliveries: 0, logs: 0 });
    });

    it('reports a refusal and an unreachable target as they are', async () => {
      const refusing = await create({ name: unique('refusing'), url: `${hook.url}/refusing`, event_types: ['*'] });
      hook.respondWith((req) => (req.path.startsWith('/refusing') ? { status: 503, body: 'down for maintenance' } : { status: 200 }));
      try {
        const res = await api('post', `${SUBS}/${refusing.id}/test`).expect(200);
        expect(res.body).toMatchObject({ status_code: 503, ok: false, response_excerpt: 'down for maintenance', error: null });
      } finally {
        hook.respondWith(OK);
      }
      const unreachable = await create({ name: unique('unreachable'), url: 'http://127.0.0.1:9/x', event_types: ['*'] });
      const res = await api('post', `${SUBS}/${unreachable.id}/test`).expect(200);
      expect(res.body).toMatchObject({ url: 'http://127.0.0.1:9/x', status_code: null, ok: false, response_excerpt: null });
      expect(res.body.error).toMatch(/network error/);
      // Its deliveries would fail (and raise alerts) through the rest of the suite.
      await api('delete', `${SUBS}/${unreachable.id}`).expect(200);
    });
  });

  describe('DELETE', () => {
    it('cancels the pending deliveries with audit rows, removes their jobs; the receiver never gets them', async () => {
      const sub = await create({ name: unique('doomed'), url: `${hook.url}/doomed/{event}`, event_types: ['lead_scraped'] });
      const sentinel = await create({ name: unique('sentinel'), url: `${hook.url}/sentinel/{event}`, event_types: ['lead_qualified'] });
      await api('post', `${QUEUE}/pause`).expect(200, { paused: true });
      let doomed: { id: string; target_url: string };
      try {
        const lead = await api('post', '/api/v1/leads')
          .send({ title: 'Doomed lead', url: `https://example.com/${randomUUID()}` })
          .expect(201);
        const [row] = await t.dataSource.query(`SELECT id, event_id FROM webhook_queue WHERE subscription_id = $1 AND entity_id = $2`, [
          sub.id,
          lead.body.id,
        ]);
        doomed = await waitDelivery(sub.id, row.event_id, 'queued');
        expect(await t.app.get(WebhookQueueService).jobState(doomed.id)).not.toBe('unknown');

        const res = await api('delete', `${SUBS}/${sub.id}`).expect(200);
        expect(res.body).toEqual({ deleted: true, cancelled_deliveries: 1 });
        expect(await t.app.get(WebhookQueueService).jobState(doomed.id)).toBe('unknown');
      } finally {
        await api('post', `${QUEUE}/resume`).expect(200, { paused: false });
      }
      const sentinelEvent = await emit('lead_qualified', unique('after-delete'));
      await waitDelivery(sentinel.id, sentinelEvent, 'sent');
      expect(hook.requests.filter(at('/sentinel/'))).toHaveLength(1);
      expect(hook.requests.filter(at('/doomed/'))).toHaveLength(0);

      const [row] = await t.dataSource.query(`SELECT status, last_error, attempts FROM webhook_queue WHERE id = $1`, [doomed.id]);
      expect(row).toEqual({ status: 'cancelled', last_error: 'subscription deleted', attempts: 0 });
      const logs = await t.dataSource.query(
        `SELECT direction, outcome, reason, endpoint, event_type FROM webhook_logs WHERE delivery_id = $1`,
        [doomed.id],
      );
      expect(logs).toEqual([
        {
          direction: 'outgoing',
          outcome: 'cancelled',
          reason: 'subscription deleted',
          endpoint: `${hook.url}/doomed/lead-scraped`,
          event_type: 'lead_scraped',
        },
      ]);
      expect(doomed.target_url).toBe(`${hook.url}/doomed/lead-scraped`);

      await api('get', `${SUBS}/${sub.id}`).expect(404);
      expect((await api('get', SUBS).expect(200)).body.items.map((s: { id: string }) => s.id)).not.toContain(sub.id);
      await api('delete', `${SUBS}/${sub.id}`).expect(404);
    });
  });

  describe('recover', () => {
    it('re-sends the deliveries cancelled while disabled, with the same ids and X-Webhook-Id = event id, bounded like replay', async () => {
      const sub = await create({ name: unique('recover'), url: `${hook.url}/recover/{event}`, event_types: ['email_sent'] });
      await api('patch', `${SUBS}/${sub.id}`).send({ enabled: false }).expect(200);
      const since = new Date().toISOString();
      const events: string[] = [];
      for (let i = 0; i < 4; i++) events.push(await emit('email_sent', unique('recover'), { i }));
      const deliveries = await Promise.all(events.map((e) => waitDelivery(sub.id, e, 'cancelled')));
      expect(deliveries.map((d) => d.last_error)).toEqual(Array(4).fill('subscription disabled'));

      const disabled = await api('post', `${SUBS}/${sub.id}/recover`).send({ since }).expect(409);
      expect(disabled.body.message).toMatch(/enable it/);
      await api('patch', `${SUBS}/${sub.id}`).send({ enabled: true }).expect(200);

      const tooMany = await api('post', `${SUBS}/${sub.id}/recover`).send({ since }).expect(422);
      expect(tooMany.body).toMatchObject({ error: 'replay_too_large', details: { matched: 4, max: 3 } });
      expect(await deliveryOf(sub.id, events[0]!)).toMatchObject({ status: 'cancelled' });

      const res = await api('post', `${SUBS}/${sub.id}/recover`).send({ since, force: true }).expect(200);
      expect(res.body).toEqual({ recovered: 4 });
      const sent = await Promise.all(events.map((e) => waitDelivery(sub.id, e, 'sent')));
      expect(sent.map((d) => d.id)).toEqual(deliveries.map((d) => d.id));
      const received = hook.requests.filter(at('/recover/'));
      expect(received.map((r) => r.headers['x-webhook-id']).sort()).toEqual([...events].sort());
      expect(received.every((r) => r.body.id === r.headers['x-webhook-id'] && signatureVerifies(r, sub.secret))).toBe(true);

      const later = new Date(Date.now() + 60_000).toISOString();
      expect((await api('post', `${SUBS}/${sub.id}/recover`).send({ since: later }).expect(200)).body).toEqual({ recovered: 0 });
    });

    it.each([
      ['no since', {}],
      ['an impossible date', { since: '2026-02-30' }],
      ['a word', { since: 'yesterday' }],
      ['force as text', { since: '2026-01-01', force: 'yes' }],
    ])('answers 400 for %s', async (_label, body) => {
      const sub = await create({ name: unique('recover400'), url: `${hook.url}/r4`, event_types: ['*'] });
      const res = await api('post', `${SUBS}/${sub.id}/recover`).send(body).expect(400);
      expect(res.body.error).toBe('validation_failed');
    });
  });

  describe('operations API', () => {
    it('lists deliveries by subscription_id, each with its event_id and subscription_id; replay takes subscription_id', async () => {
      const sub = await create({ name: unique('filtered'), url: `${hook.url}/filtered/{event}`, event_types: ['video_completed'] });
      const events = [await emit('video_completed', unique('f')), await emit('video_completed', unique('f'))];
      const own = await Promise.all(events.map((e) => waitDelivery(sub.id, e, 'sent')));
      await Promise.all(events.map((e) => waitDelivery(BUILT_IN_SUBSCRIPTION_ID, e, 'sent')));
      await Promise.all(own.map((d) => jobSettled(d.id, 'completed')));

      const { body } = await api('get', `${QUEUE}/deliveries?subscription_id=${sub.id}`).expect(200);
      expect(body.items.map((i: { id: string }) => i.id).sort()).toEqual(own.map((d) => d.id).sort());
      for (const item of body.items) expect(item).toMatchObject({ subscription_id: sub.id, event_id: expect.any(String) });
      expect(body.items.map((i: { event_id: string }) => i.event_id).sort()).toEqual([...events].sort());

      const builtIn = await api('get', `${QUEUE}/deliveries/${events[0]}`).expect(200);
      expect(builtIn.body).toMatchObject({ id: events[0], event_id: events[0], subscription_id: BUILT_IN_SUBSCRIPTION_ID });
      const detail = await api('get', `${QUEUE}/deliveries/${own[0]!.id}`).expect(200);
      expect(detail.body).toMatchObject({ id: own[0]!.id, event_id: events[0], subscription_id: sub.id });
      expect(detail.body.logs[0].request_headers['X-Webhook-Signature-256']).toBe('[redacted]');

      expect(fields(await api('get', `${QUEUE}/deliveries?subscription_id=nope`).expect(400))).toEqual(['subscription_id']);
      // One event's deliveries: one per subscription that takes it (the built-in one, this one, and
      // the `*` subscriptions earlier tests left), each with the event's id; none of the other event.
      const byEvent = await api('get', `${QUEUE}/deliveries?event_id=${events[0]}`).expect(200);
      const ids = byEvent.body.items.map((i: { id: string }) => i.id);
      expect(ids).toEqual(expect.arrayContaining([events[0], own[0]!.id]));
      expect(ids).not.toContain(own[1]!.id);
      expect(new Set(byEvent.body.items.map((i: { event_id: string }) => i.event_id))).toEqual(new Set([events[0]]));
      expect(new Set(byEvent.body.items.map((i: { subscription_id: string }) => i.subscription_id)).size).toBe(ids.length);
      expect(fields(await api('get', `${QUEUE}/deliveries?event_id=nope`).expect(400))).toEqual(['event_id']);

      const toN8n = () => n8n.requests.filter((r) => events.includes(r.headers['x-webhook-id'] as string)).length;
      expect(toN8n()).toBe(2);
      const replay = await api('post', `${QUEUE}/replay`).send({ subscription_id: sub.id }).expect(200);
      expect(replay.body).toEqual({ replayed: 2 });
      await waitFor(() => hook.requests.filter(at('/filtered/')).length === 4, { what: 'replayed deliveries' });
      await Promise.all(events.map((e) => waitDelivery(sub.id, e, 'sent')));
      // Only that subscription's deliveries: the built-in ones of the same events were not sent again.
      expect(toN8n()).toBe(2);
    });

    it('stats show the ordering block: deliveries of per_entity subscriptions waiting for an earlier one of their entity', async () => {
      const idle = (await api('get', `${QUEUE}/stats`).expect(200)).body.ordering;
      expect(idle).toEqual({ blocked_deliveries: 0, blocked_entities: 0, oldest_blocked: null });

      const sub = await create({
        name: unique('ordered'),
        url: `${hook.url}/ordered/{event}`,
        event_types: ['demo_completed'],
        ordering: 'per_entity',
      });
      const entity = unique('ordered');
      await api('post', `${QUEUE}/pause`).expect(200);
      let first: string;
      let second: string;
      try {
        first = await emit('demo_completed', entity, { n: 1 });
        second = await emit('demo_completed', entity, { n: 2 });
        const head = await waitDelivery(sub.id, first, 'queued');
        const waiting = await waitDelivery(sub.id, second, 'queued');
        const { body } = await api('get', `${QUEUE}/stats`).expect(200);
        expect(body.ordering).toEqual({
          blocked_deliveries: 1,
          blocked_entities: 1,
          oldest_blocked: {
            subscription_id: sub.id,
            entity_type: 'test',
            entity_id: entity,
            delivery_id: waiting.id,
            blocked_by: head.id,
            created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
          },
        });
      } finally {
        await api('post', `${QUEUE}/resume`).expect(200);
      }
      await waitDelivery(sub.id, second, 'sent');
      expect(hook.requests.filter(at('/ordered/')).map((r) => r.body.data.n)).toEqual([1, 2]);
      expect((await api('get', `${QUEUE}/stats`).expect(200)).body.ordering.blocked_deliveries).toBe(0);
      expect(await deliveryOf(sub.id, first)).toMatchObject({ status: 'sent' });
    });
  });

  describe('secrets at rest and in the audit trail', () => {
    it('no secret handed out appears in webhook_logs, webhook_queue, the retry history or the stored subscriptions', async () => {
      expect(secrets.length).toBeGreaterThan(10);
      const logged = await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_logs WHERE direction = 'outgoing'`);
      expect(logged[0].n).toBeGreaterThan(10);
      for (const table of ['webhook_logs', 'webhook_queue', 'webhook_retry_history', 'webhook_subscriptions']) {
        const [hit] = await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table} x WHERE x::text LIKE ANY($1::text[])`, [
          secrets.map((s) => `%${s}%`),
        ]);
        expect({ table, n: hit.n }).toEqual({ table, n: 0 });
      }
    });
  });
});

describe('subscription secrets never reach the process output (a real bridge process, LOG_LEVEL=debug)', () => {
  const hook = new TestReceiver();
  let db: TestDatabase;
  let child: ReturnType<typeof spawnBridge> | undefined;
  const prefix = `test-${randomUUID().slice(0, 12)}`;

  beforeAll(async () => {
    await hook.start();
    db = await createTestDatabase();
  });
  afterAll(async () => {
    if (child) await stopBridge(child);
    await hook.stop();
    await (db as TestDatabase | undefined)?.drop();
    await deleteRedisPrefix(prefix);
  });

  it('creates, tests, delivers to and rotates a subscription: its secrets are in no log line', async () => {
    const port = await freePort();
    child = spawnBridge(
      baseTestEnv({
        PORT: String(port),
        DATABASE_URL: db.url,
        QUEUE_PREFIX: prefix,
        N8N_BASE_URL: hook.url,
        LOG_LEVEL: 'debug',
      }),
    );
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const spawned = child;
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/health/live`).catch(() => undefined))?.status === 200, {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: `the bridge on ${port}: ${spawned.output()}`,
    });
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, string> };
    };

    const given = `given-in-logs-${'g'.repeat(40)}`;
    const created = await call('POST', SUBS, { name: 'logged', url: `${hook.url}/logged/{event}`, event_types: ['*'], secret: given });
    expect(created.status).toBe(201);
    const generated = await call('POST', SUBS, { name: 'generated', url: `${hook.url}/generated/{event}`, event_types: ['lead_scraped'] });
    expect(generated.status).toBe(201);
    expect((await call('POST', `${SUBS}/${created.body.id}/test`)).status).toBe(200);
    const rotated = await call('POST', `${SUBS}/${generated.body.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const refused = `refused in logs ${'z'.repeat(40)}`;
    expect((await call('POST', `${SUBS}/${created.body.id}/rotate-secret`, { secret: refused })).status).toBe(400);
    expect((await call('PATCH', `${SUBS}/${created.body.id}`, { secret: refused })).status).toBe(400);
    expect((await call('POST', '/api/v1/leads', { title: 'Logged lead', url: `https://example.com/${randomUUID()}` })).status).toBe(201);
    await hook.waitForCount((r) => r.path === '/generated/lead-scraped', 1);
    await hook.waitForCount((r) => r.path === '/logged/lead-scraped', 1);
    expect(
      signatureVerifies(
        hook.requests.find((r) => r.path === '/generated/lead-scraped')!,
        rotated.body.secret!,
      ),
    ).toBe(true);

    await stopBridge(spawned);
    child = undefined;
    // The lines were written and captured: the check below looks at real log output.
    expect(output).toContain('Subscription created');
    expect(output).toContain('Subscription secret rotated');
    expect(output).toContain('Test webhook sent');
    for (const secret of [given, generated.body.secret!, rotated.body.secret!, refused]) expect(output).not.toContain(secret);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
