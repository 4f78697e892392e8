import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { MAINTENANCE_QUEUE, RETENTION_JOB, RETENTION_SCHEDULER_ID } from '../src/queue/queue.constants';
import { WebhookQueueService } from '../src/queue/webhook-queue.service';
import { MaintenanceQueueService } from '../src/operations/retention/maintenance-queue.service';
import { EventType } from '../src/events/event-catalog';
import { TriggerService } from '../src/triggers/trigger.service';
import { ReceivedRequest, Reply, TestReceiver } from './support/receiver';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

const BASE = '/api/v1/webhooks/queue';
const SOME_ID = '3f1c2a9e-5b7d-4c1e-9a8b-2d4f6e8a0c1b';

describe('operations admin API (e2e, real Postgres and Redis)', () => {
  const receiver = new TestReceiver();
  /** Per-entity scripted answers: the n-th request about an entity gets script[entity](n). */
  const scripts = new Map<string, (n: number) => Reply>();
  let t: TestApp;

  beforeAll(async () => {
    await receiver.start();
    receiver.respondWith((req) => {
      const entity = String(req.body?.entity?.id ?? '');
      const script = scripts.get(entity);
      return script ? script(receiver.forEntity(entity).length) : { status: 200, body: '{"ok":true}' };
    });
    t = await startTestApp({
      N8N_BASE_URL: receiver.url,
      WEBHOOK_CONCURRENCY: '1',
      WEBHOOK_RETRY_DELAYS_MS: '300,3000',
      WEBHOOK_TIMEOUT_MS: '3000',
      OUTBOX_RELAY_INTERVAL_MS: '200',
      REPLAY_MAX_EVENTS: '4',
    });
  });
  afterAll(async () => {
    await (t as TestApp | undefined)?.close();
    await receiver.stop();
  });

  const api = (method: 'get' | 'post', path: string) =>
    request(t.http)[method](`${BASE}${path}`).set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`);
  const emit = async (type: EventType, entityId: string, data: Record<string, unknown> = {}) =>
    (await t.app.get(TriggerService).emit(type, { entity: { type: 'test', id: entityId }, data }))!.id;
  const row = async (id: string) => (await t.dataSource.query(`SELECT status, attempts FROM webhook_queue WHERE id = $1`, [id]))[0];
  const waitStatus = (id: string, status: string, timeoutMs = 15000) =>
    waitFor(async () => (await row(id))?.status === status, { timeoutMs, what: `${id} ${status}` });
  const hitsFor = (id: string) => receiver.requests.filter((r: ReceivedRequest) => r.headers['x-webhook-id'] === id);
  const queue = () => t.app.get(WebhookQueueService);
  const entity = (label: string) => `${label}-${randomUUID()}`;

  describe('access', () => {
    it.each([
      ['get', '/stats'],
      ['get', '/deliveries'],
      ['get', `/deliveries/${SOME_ID}`],
      ['post', `/deliveries/${SOME_ID}/retry`],
      ['post', `/deliveries/${SOME_ID}/cancel`],
      ['post', '/replay'],
      ['post', '/pause'],
      ['post', '/resume'],
      ['post', '/cleanup'],
    ] as const)('%s %s answers 401 without the bearer token, and with a wrong one', async (method, path) => {
      const res = await request(t.http)[method](`${BASE}${path}`).expect(401);
      expect(res.body).toMatchObject({ statusCode: 401, error: 'unauthorized' });
      await request(t.http)[method](`${BASE}${path}`).set('Authorization', 'Bearer not-the-token').expect(401);
    });

    it('answers 400 for a malformed id and 404 for an unknown one', async () => {
      for (const path of ['/deliveries/not-a-uuid', '/deliveries/not-a-uuid/retry', '/deliveries/not-a-uuid/cancel']) {
        const res = await api(path.endsWith('uuid') ? 'get' : 'post', path).expect(400);
        expect(res.body).toMatchObject({ error: 'validation_failed', details: [{ field: 'id' }] });
      }
      const unknown = randomUUID();
      expect((await api('get', `/deliveries/${unknown}`).expect(404)).body.error).toBe('not_found');
      await api('post', `/deliveries/${unknown}/retry`).expect(404);
      await api('post', `/deliveries/${unknown}/cancel`).expect(404);
    });
  });

  describe('stats, list and detail', () => {
    let sentId: string;
    let failedId: string;
    const okEntity = entity('stats-ok');
    const badEntity = entity('stats-bad');

    beforeAll(async () => {
      scripts.set(badEntity, () => ({ status: 422, body: '{"error":"rejected"}' }));
      sentId = await emit('lead_scraped', okEntity);
      failedId = await emit('demo_failed', badEntity);
      await waitStatus(sentId, 'sent');
      await waitStatus(failedId, 'failed');
      // The row is committed before the worker hands the failure to BullMQ: wait for the job to settle.
      await waitFor(async () => (await queue().jobState(failedId)) === 'failed', { what: 'job failed in BullMQ' });
    });

    it('GET stats counts by state (BullMQ and webhook_queue), per event, recent throughput, pause and circuits', async () => {
      const { body } = await api('get', '/stats').expect(200);
      expect(body.queue).toMatchObject({ name: 'webhook-deliveries', available: true, paused: false });
      expect(body.queue.jobs.failed).toBeGreaterThanOrEqual(1);
      expect(Object.keys(body.events.by_status).sort()).toEqual([
        'cancelled',
        'failed',
        'pending',
        'queued',
        'retrying',
        'sending',
        'sent',
      ]);
      expect(body.events.by_status.sent).toBeGreaterThanOrEqual(1);
      expect(body.events.by_status.failed).toBeGreaterThanOrEqual(1);
      expect(body.events.by_event.lead_scraped.sent).toBeGreaterThanOrEqual(1);
      expect(body.events.by_event.demo_failed.failed).toBeGreaterThanOrEqual(1);
      expect(body.throughput.last_1m.deliveries).toBeGreaterThanOrEqual(1);
      expect(body.throughput.last_1m.failures).toBeGreaterThanOrEqual(1);
      expect(body.throughput.last_15m.deliveries).toBeGreaterThanOrEqual(body.throughput.last_5m.deliveries);
      expect(Array.isArray(body.circuits)).toBe(true);
      expect(typeof body.generated_at).toBe('string');
    });

    it('GET stats gives the age of the oldest undelivered event, null when there is none', async () => {
      await queue().pause();
      try {
        const id = await emit('lead_scraped', entity('stats-age'));
        await waitStatus(id, 'queued');
        await t.dataSource.query(`UPDATE webhook_queue SET created_at = now() - interval '90 seconds' WHERE id = $1`, [id]);
        const { body } = await api('get', '/stats').expect(200);
        expect(body.queue.paused).toBe(true);
        expect(body.events.oldest_undelivered_age_seconds).toBeGreaterThanOrEqual(90);
        expect(body.events.oldest_undelivered_age_seconds).toBeLessThan(120);
      } finally {
        await queue().resume();
      }
      await waitFor(async () => (await api('get', '/stats')).body.events.oldest_undelivered_age_seconds === null, {
        what: 'nothing undelivered',
      });
    });

    it('GET deliveries filters by status, event and entity', async () => {
      const byEntity = await api('get', `/deliveries?entity_id=${okEntity}`).expect(200);
      expect(byEntity.body.items.map((i: { id: string }) => i.id)).toEqual([sentId]);
      expect(byEntity.body.items[0]).toMatchObject({
        id: sentId,
        event: 'lead_scraped',
        status: 'sent',
        attempts: 1,
        entity: { type: 'test', id: okEntity },
      });
      expect(byEntity.body.items[0].payload).toBeUndefined();

      const failed = await api('get', '/deliveries?status=failed&event=demo_failed').expect(200);
      expect(failed.body.items.map((i: { id: string }) => i.id)).toContain(failedId);
      expect(failed.body.items.every((i: { status: string; event: string }) => i.status === 'failed' && i.event === 'demo_failed')).toBe(
        true,
      );

      const future = await api('get', `/deliveries?since=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`).expect(200);
      expect(future.body).toEqual({ items: [], next_cursor: null, limit: 50 });
    });

    it('GET deliveries pages with an opaque keyset cursor, newest first, each row once', async () => {
      const label = entity('page');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await emit('email_sent', label, { i }));
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: request.Response = await api('get', `/deliveries?entity_id=${label}&limit=2${cursor ? `&cursor=${cursor}` : ''}`).expect(
          200,
        );
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items.map((i: { id: string }) => i.id));
        cursor = res.body.next_cursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toHaveLength(5);
      expect(new Set(seen)).toEqual(new Set(ids));
      const created = await t.dataSource.query(`SELECT id FROM webhook_queue WHERE entity_id = $1 ORDER BY created_at DESC, id DESC`, [
        label,
      ]);
      expect(seen).toEqual(created.map((r: { id: string }) => r.id));
    });

    it.each([
      ['a forged cursor', 'cursor=abc', 'cursor'],
      ['a limit above 500', 'limit=501', 'limit'],
      ['an unknown status', 'status=lost', 'status'],
      ['an unknown event', 'event=lead_exploded', 'event'],
      ['a malformed date', 'since=yesterday', 'since'],
      ['an unknown parameter', 'colour=blue', 'colour'],
    ])('GET deliveries answers 400 for %s', async (_label, query, field) => {
      const res = await api('get', `/deliveries?${query}`).expect(400);
      expect(res.body.error).toBe('validation_failed');
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    });

    it('GET deliveries/:id gives the payload, every attempt (history and logs) and the job state', async () => {
      const { body } = await api('get', `/deliveries/${failedId}`).expect(200);
      expect(body).toMatchObject({
        id: failedId,
        event: 'demo_failed',
        status: 'failed',
        attempts: 1,
        last_status_code: 422,
        job_state: 'failed',
      });
      expect(body.payload).toMatchObject({ id: failedId, event: 'demo_failed', entity: { id: badEntity } });
      expect(body.history).toMatchObject([{ attempt: 1, outcome: 'failed', status_code: 422 }]);
      expect(body.logs).toHaveLength(1);
      expect(body.logs[0]).toMatchObject({ attempt: 1, outcome: 'failed', response_status: 422, response_body: '{"error":"rejected"}' });
      expect(body.logs[0].request_headers['X-Webhook-Signature-256']).toBe('[redacted]');
    });
  });

  describe('retry', () => {
    it('re-sends a dead event with the same delivery id; the attempt count goes on, with a new budget', async () => {
      const label = entity('dead');
      scripts.set(label, (n) => (n === 1 ? { status: 410, body: 'gone' } : { status: 200 }));
      const id = await emit('video_failed', label);
      await waitStatus(id, 'failed');
      // The row is committed before the worker hands the failure to BullMQ: wait for the job to settle.
      await waitFor(async () => (await queue().jobState(id)) === 'failed', { what: 'job failed in BullMQ' });
      expect(await queue().jobState(id)).toBe('failed');

      const res = await api('post', `/deliveries/${id}/retry`).expect(200);
      expect(res.body).toMatchObject({ id, status: 'queued', attempts: 1, last_error: null });
      await waitStatus(id, 'sent');
      const hits = hitsFor(id);
      expect(hits).toHaveLength(2);
      expect(hits[1]!.body.id).toBe(id);
      expect(hits.map((h) => h.headers['x-webhook-attempt'])).toEqual(['1', '2']);
      expect(await row(id)).toEqual({ status: 'sent', attempts: 2 });
      const history = await t.dataSource.query(
        `SELECT attempt, outcome FROM webhook_retry_history WHERE delivery_id = $1 ORDER BY attempt`,
        [id],
      );
      expect(history).toEqual([
        { attempt: 1, outcome: 'failed' },
        { attempt: 2, outcome: 'sent' },
      ]);
    });

    it('answers 409 for an event that is not failed or cancelled', async () => {
      const id = await emit('lead_scraped', entity('retry-sent'));
      await waitStatus(id, 'sent');
      const res = await api('post', `/deliveries/${id}/retry`).expect(409);
      expect(res.body).toMatchObject({ error: 'conflict', details: { status: 'sent' } });
      expect(hitsFor(id)).toHaveLength(1);
    });
  });

  describe('cancel', () => {
    it('takes a queued event out of the queue for good: a later sentinel arrives, the cancelled event never does', async () => {
      await api('post', '/pause').expect(200, { paused: true });
      let cancelled: string;
      let sentinel: string;
      try {
        // Critical first: were it still queued, it would be delivered before the normal-priority sentinel.
        cancelled = await emit('workflow_error', entity('cancel-me'), {
          workflow_id: 'wf',
          error_message: 'x',
          severity: 'error',
          source: 'test',
        });
        await waitStatus(cancelled, 'queued');
        const res = await api('post', `/deliveries/${cancelled}/cancel`).expect(200);
        expect(res.body).toMatchObject({ id: cancelled, status: 'cancelled', last_error: 'cancelled by an operator' });
        expect(await queue().jobState(cancelled)).toBe('unknown');
        sentinel = await emit('lead_scraped', entity('sentinel'));
        await waitStatus(sentinel, 'queued');
      } finally {
        await api('post', '/resume').expect(200, { paused: false });
      }
      await waitStatus(sentinel, 'sent');
      expect(hitsFor(sentinel)).toHaveLength(1);
      expect(hitsFor(cancelled)).toHaveLength(0);
      expect(await row(cancelled)).toEqual({ status: 'cancelled', attempts: 0 });
      const history = await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_retry_history WHERE delivery_id = $1`, [cancelled]);
      expect(history[0].n).toBe(0);
      await api('post', `/deliveries/${cancelled}/cancel`).expect(409);
    });

    it('takes a retrying (delayed) event out: it is not sent again, a sentinel retried later is', async () => {
      const label = entity('cancel-retrying');
      scripts.set(label, () => ({ status: 503, headers: { 'retry-after': '1' } }));
      const id = await emit('lead_scraped', label);
      await waitFor(async () => (await queue().jobState(id)) === 'delayed', { what: 'retry scheduled' });
      expect((await row(id)).status).toBe('retrying');
      await api('post', `/deliveries/${id}/cancel`).expect(200);

      // The sentinel is retried after exactly the same delay, from a later start: it comes back after the cancelled one would have.
      const sentinelLabel = entity('sentinel-retrying');
      scripts.set(sentinelLabel, (n) => (n === 1 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 }));
      const sentinel = await emit('lead_scraped', sentinelLabel);
      await waitStatus(sentinel, 'sent');
      expect(hitsFor(sentinel)).toHaveLength(2);
      expect(hitsFor(id)).toHaveLength(1);
      expect(await row(id)).toEqual({ status: 'cancelled', attempts: 1 });
    });

    it('answers 409 for an event in flight and for one already sent', async () => {
      const label = entity('in-flight');
      scripts.set(label, () => ({ status: 200, delayMs: 1500 }));
      const id = await emit('lead_scraped', label);
      await waitFor(() => hitsFor(id).length === 1, { what: 'delivery in flight' });
      const res = await api('post', `/deliveries/${id}/cancel`).expect(409);
      expect(res.body.details).toEqual({ status: 'sending' });
      expect(res.body.message).toMatch(/being sent/);
      await waitStatus(id, 'sent');
      expect((await api('post', `/deliveries/${id}/cancel`).expect(409)).body.message).toMatch(/already sent/);
    });
  });

  describe('replay', () => {
    let since: string;
    const demoIds: string[] = [];
    const leadIds: string[] = [];

    beforeAll(async () => {
      since = new Date().toISOString();
      const label = entity('replay');
      for (let i = 0; i < 3; i++) demoIds.push(await emit('demo_completed', label, { i }));
      for (let i = 0; i < 2; i++) leadIds.push(await emit('lead_qualified', label, { i }));
      for (const id of [...demoIds, ...leadIds]) await waitStatus(id, 'sent');
    });

    it('re-sends exactly the events matching a filter, with their delivery ids', async () => {
      const res = await api('post', '/replay').send({ event: 'demo_completed', since }).expect(200);
      expect(res.body).toEqual({ replayed: 3 });
      for (const id of demoIds) await waitFor(() => hitsFor(id).length === 2, { what: `replay of ${id}` });
      for (const id of demoIds) await waitStatus(id, 'sent');
      expect(demoIds.map((id) => hitsFor(id).map((h) => h.body.id))).toEqual(demoIds.map((id) => [id, id]));
      expect(leadIds.map((id) => hitsFor(id).length)).toEqual([1, 1]);
      expect(
        (await t.dataSource.query(`SELECT attempts FROM webhook_queue WHERE id = ANY($1)`, [demoIds])).map(
          (r: { attempts: number }) => r.attempts,
        ),
      ).toEqual([2, 2, 2]);
    });

    it('refuses a filter matching more than REPLAY_MAX_EVENTS unless forced', async () => {
      const res = await api('post', '/replay').send({ since }).expect(422);
      expect(res.body).toMatchObject({ error: 'replay_too_large', details: { matched: 5, max: 4 } });
      expect(res.body.message).toMatch(/force/);
      expect(leadIds.map((id) => hitsFor(id).length)).toEqual([1, 1]);
      const forced = await api('post', '/replay').send({ since, force: true }).expect(200);
      expect(forced.body).toEqual({ replayed: 5 });
      for (const id of leadIds) await waitFor(() => hitsFor(id).length === 2, { what: `forced replay of ${id}` });
    });

    it('replays by ids, reporting unknown and unfinished ones', async () => {
      for (const id of [...demoIds, ...leadIds]) await waitStatus(id, 'sent');
      await queue().pause();
      try {
        const queued = await emit('lead_scraped', entity('replay-queued'));
        await waitStatus(queued, 'queued');
        const unknown = randomUUID();
        const res = await api('post', '/replay')
          .send({ ids: [leadIds[0], unknown, queued] })
          .expect(200);
        expect(res.body).toEqual({ replayed: 1, not_found: [unknown], skipped: [queued] });
      } finally {
        await queue().resume();
      }
      await waitFor(() => hitsFor(leadIds[0]!).length === 3, { what: 'replay by id' });
    });

    it.each([
      ['an empty body', {}],
      ['ids and a filter together', { ids: [randomUUID()], event: 'lead_scraped' }],
      ['a status that is not finished', { since: new Date().toISOString(), status: 'queued' }],
      ['ids that are not UUIDs', { ids: ['x'] }],
      ['an unknown field', { since: new Date().toISOString(), everything: true }],
    ])('answers 400 for %s', async (_label, body) => {
      expect((await api('post', '/replay').send(body).expect(400)).body.error).toBe('validation_failed');
    });
  });

  describe('cleanup and retention', () => {
    /** Inserts finished and unfinished rows (with history and logs), `age` days old. */
    async function seed(label: string, status: string, ageDays: number): Promise<string> {
      const id = randomUUID();
      await t.dataSource.query(
        `INSERT INTO webhook_queue (id, event_id, event_type, priority, entity_type, entity_id, payload, target_url, status, attempts, max_attempts, created_at, updated_at)
          VALUES ($1, $1, 'lead_scraped', 0, 'test', $2, '{}', 'http://127.0.0.1:9/x', $3, 1, 3, now() - make_interval(days => $4), now() - make_interval(days => $4))`,
        [id, label, status, ageDays],
      );
      await t.dataSource.query(
        `INSERT INTO webhook_retry_history (delivery_id, attempt, outcome, duration_ms) VALUES ($1, 1, 'sent', 5), ($1, 2, 'sent', 5)`,
        [id],
      );
      await t.dataSource.query(
        `INSERT INTO webhook_logs (direction, delivery_id, endpoint, outcome) VALUES ('outgoing', $1, 'http://127.0.0.1:9/x', 'sent')`,
        [id],
      );
      return id;
    }
    /** The ids still there (the relay may publish and deliver the unfinished seeds meanwhile: their status is not asserted). */
    const remaining = async (label: string) =>
      (await t.dataSource.query(`SELECT id FROM webhook_queue WHERE entity_id = $1`, [label])).map((r: { id: string }) => r.id).sort();
    const orphans = async () =>
      (
        await t.dataSource.query(
          `SELECT (SELECT count(*) FROM webhook_retry_history h WHERE NOT EXISTS (SELECT 1 FROM webhook_queue q WHERE q.id = h.delivery_id))::int AS history,
                  (SELECT count(*) FROM webhook_logs l WHERE direction = 'outgoing' AND delivery_id IS NOT NULL
                     AND NOT EXISTS (SELECT 1 FROM webhook_queue q WHERE q.id::text = l.delivery_id))::int AS logs`,
        )
      )[0];

    it('deletes exactly the sent and cancelled events older than N days, with their history and outgoing logs, and old incoming rows', async () => {
      // The seeded unfinished rows have no job: the relay queues them again. Paused, no worker sends
      // them meanwhile, so they stay unfinished (and the chain whose tail is one of them stays busy).
      await api('post', '/pause').expect(200);
      try {
        await cleanupKeepsWhatItMust();
      } finally {
        await api('post', '/resume').expect(200);
      }
    });

    async function cleanupKeepsWhatItMust(): Promise<void> {
      const label = entity('cleanup');
      const old: Record<string, string> = {};
      for (const status of ['sent', 'cancelled', 'failed', 'queued', 'retrying', 'pending']) old[status] = await seed(label, status, 10);
      const recent = await seed(label, 'sent', 3);
      for (const age of [40, 3]) {
        await t.dataSource.query(
          `INSERT INTO webhook_logs (direction, endpoint, outcome, created_at) VALUES ('incoming', $1, 'accepted', now() - make_interval(days => $2))`,
          [label, age],
        );
        await t.dataSource.query(
          `INSERT INTO webhook_callbacks (idempotency_key, endpoint, status_code, response, created_at) VALUES ($1, $2, 200, '{}', now() - make_interval(days => $3))`,
          [`${label}-${age}`, label, age],
        );
      }
      // Per-entity chains: an idle one whose tail is finished (forgotten), one whose tail is still queued, a recent one (both kept).
      for (const [entityId, tail, age] of [
        [`${label}-idle`, old.sent, 10],
        [`${label}-waiting`, old.queued, 10],
        [`${label}-recent`, recent, 3],
      ] as const)
        await t.dataSource.query(
          `INSERT INTO webhook_delivery_chains (subscription_id, entity_type, entity_id, tail_id, updated_at)
            VALUES ('00000000-0000-4000-8000-000000000000', 'test', $1, $2, now() - make_interval(days => $3))`,
          [entityId, tail, age],
        );

      const res = await api('post', '/cleanup').send({ older_than_days: 7 }).expect(200);
      expect(res.body).toEqual({ events: 2, history: 4, logs: 2, incoming_logs: 1, callbacks: 1, chains: 1 });
      const chains = await t.dataSource.query(`SELECT entity_id FROM webhook_delivery_chains WHERE entity_id LIKE $1 ORDER BY entity_id`, [
        `${label}-%`,
      ]);
      expect(chains).toEqual([{ entity_id: `${label}-recent` }, { entity_id: `${label}-waiting` }]);
      expect(await remaining(label)).toEqual([old.failed, old.queued, old.retrying, old.pending, recent].sort());
      expect(await orphans()).toEqual({ history: 0, logs: 0 });
      const incoming = await t.dataSource.query(
        `SELECT created_at > now() - interval '4 days' AS fresh FROM webhook_logs WHERE direction = 'incoming' AND endpoint = $1`,
        [label],
      );
      expect(incoming).toEqual([{ fresh: true }]);
      const keys = await t.dataSource.query(`SELECT idempotency_key FROM webhook_callbacks WHERE endpoint = $1`, [label]);
      expect(keys).toEqual([{ idempotency_key: `${label}-3` }]);

      const withFailed = await api('post', '/cleanup').send({ older_than_days: 7, include_failed: true }).expect(200);
      expect(withFailed.body).toEqual({ events: 1, history: 2, logs: 1, incoming_logs: 0, callbacks: 0, chains: 0 });
      expect(await remaining(label)).toEqual([old.queued, old.retrying, old.pending, recent].sort());
    }

    it.each([
      ['no older_than_days', {}],
      ['older_than_days 0', { older_than_days: 0 }],
      ['a fractional number of days', { older_than_days: 1.5 }],
      ['include_failed as text', { older_than_days: 3, include_failed: 'yes' }],
    ])('answers 400 for %s', async (_label, body) => {
      expect((await api('post', '/cleanup').send(body).expect(400)).body.error).toBe('validation_failed');
    });

    it('registers the daily retention job scheduler on the maintenance queue, and its job cleans up', async () => {
      const maintenance = t.app.get(MaintenanceQueueService).queue;
      expect(maintenance.name).toBe(MAINTENANCE_QUEUE);
      const schedulers = await waitFor(
        async () => {
          const list = await maintenance.getJobSchedulers();
          return list.length ? list : undefined;
        },
        { what: 'retention scheduler' },
      );
      expect(schedulers).toMatchObject([{ key: RETENTION_SCHEDULER_ID, name: RETENTION_JOB, pattern: '17 3 * * *', tz: 'UTC' }]);
      expect(schedulers[0]!.template?.data).toEqual({ olderThanDays: 30, includeFailed: false });

      const label = entity('retention');
      await seed(label, 'sent', 31);
      const younger = await seed(label, 'sent', 29);
      const failed = await seed(label, 'failed', 31);
      const job = await t.app.get(MaintenanceQueueService).runRetentionNow();
      const done = await waitFor(async () => ((await job.getState()) === 'completed' ? maintenance.getJob(job.id!) : undefined), {
        what: 'retention job done',
      });
      expect(done.returnvalue).toMatchObject({ events: 1, history: 2, logs: 1 });
      expect(await remaining(label)).toEqual([younger, failed].sort());
    });
  });
});
