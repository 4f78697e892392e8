import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import request from 'supertest';
import { MaintenanceQueueService } from '../src/operations/retention/maintenance-queue.service';
import { RETENTION_SCHEDULER_ID } from '../src/queue/queue.constants';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

const QUEUE_API = '/api/v1/webhooks/queue';
const BOARD = '/admin/queues';
const USER = 'ops';
const PASSWORD = 'Tq8#vW2m!Rz5pL0x-board';
const LIMIT = 3;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
/** A fresh documentation-range source address per test (TRUST_PROXY=loopback: supertest's X-Forwarded-For is believed). */
let lastOctet = 10;
const newAddress = () => `203.0.113.${lastOctet++}`;

describe('admin hardening (e2e, real Postgres and Redis)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      ADMIN_AUTH_FAILURES_PER_MINUTE: String(LIMIT),
      TRUST_PROXY: 'loopback',
      ADMIN_USER: USER,
      ADMIN_PASSWORD: PASSWORD,
    });
  });
  afterAll(async () => {
    await (t as TestApp | undefined)?.close();
  });

  const from = (address: string) => ({
    get: (path: string) => request(t.http).get(path).set('X-Forwarded-For', address),
    put: (path: string) => request(t.http).put(path).set('X-Forwarded-For', address),
  });
  /** From the loopback address itself, never used by the throttling tests. */
  const api = (method: 'get' | 'post', path: string) =>
    request(t.http)[method](`${QUEUE_API}${path}`).set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`);

  function expectTooManyRequests(res: request.Response): void {
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({
      statusCode: 429,
      error: 'too_many_requests',
      message: expect.stringMatching(/Too many failed authentication attempts/),
    });
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  }

  describe('failed admin authentications are throttled per source address', () => {
    it('bearer: N wrong tokens get 401, then the address gets 429 with Retry-After, the right token and /metrics included', async () => {
      const client = from(newAddress());
      for (let i = 0; i < LIMIT; i++) {
        const res = await client.get(`${QUEUE_API}/stats`).set('Authorization', `Bearer wrong-${i}`).expect(401);
        expect(res.body.error).toBe('unauthorized');
      }
      expectTooManyRequests(await client.get(`${QUEUE_API}/stats`).set('Authorization', 'Bearer wrong-again'));
      expectTooManyRequests(await client.get(`${QUEUE_API}/stats`).set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`));
      expectTooManyRequests(await client.get('/metrics').set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`));
      expectTooManyRequests(await client.get('/api/v1/leads').set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`));
    });

    it('another address is unaffected by the blocked one', async () => {
      const blocked = from(newAddress());
      for (let i = 0; i <= LIMIT; i++) await blocked.get(`${QUEUE_API}/stats`).set('Authorization', 'Bearer wrong');
      expectTooManyRequests(await blocked.get(`${QUEUE_API}/stats`).set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`));

      const other = from(newAddress());
      await other.get(`${QUEUE_API}/stats`).set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`).expect(200);
      await other.get(`${QUEUE_API}/stats`).set('Authorization', 'Bearer wrong').expect(401);
    });

    it('a request without credentials (or with another scheme) is a 401 that does not count', async () => {
      const client = from(newAddress());
      for (let i = 0; i < LIMIT * 3; i++) {
        await client.get(`${QUEUE_API}/stats`).expect(401);
        await client.get(`${QUEUE_API}/stats`).set('Authorization', `Basic ${TEST_ADMIN_TOKEN}`).expect(401);
      }
      await client.get(`${QUEUE_API}/stats`).set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`).expect(200);
    });

    it('Basic auth on Bull Board: N wrong passwords get 401, then 429 with Retry-After, the right password included', async () => {
      const client = from(newAddress());
      for (let i = 0; i < LIMIT; i++) {
        const res = await client
          .get(BOARD)
          .set('Authorization', basic(USER, `wrong-${i}`))
          .expect(401);
        expect(res.headers['www-authenticate']).toMatch(/^Basic realm="bull-board"/);
      }
      expectTooManyRequests(await client.get(BOARD).set('Authorization', basic(USER, 'wrong-again')));
      expectTooManyRequests(await client.get(`${BOARD}/api/queues`).set('Authorization', basic(USER, PASSWORD)));

      await from(newAddress()).get(`${BOARD}/api/queues`).set('Authorization', basic(USER, PASSWORD)).expect(200);
    });

    it('bearer and Basic failures share one budget per address', async () => {
      const client = from(newAddress());
      await client.get(`${QUEUE_API}/stats`).set('Authorization', 'Bearer wrong').expect(401);
      await client.get(BOARD).set('Authorization', basic(USER, 'wrong')).expect(401);
      await client.get('/metrics').set('Authorization', 'Bearer wrong').expect(401);
      expectTooManyRequests(await client.get(BOARD).set('Authorization', basic(USER, PASSWORD)));
      expectTooManyRequests(await client.get(`${QUEUE_API}/stats`).set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`));
    });

    it('a burst of concurrent wrong tokens gets exactly N answers of 401, all others 429', async () => {
      const client = from(newAddress());
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => client.get(`${QUEUE_API}/stats`).set('Authorization', `Bearer burst-${i}`)),
      );
      expect(answers.filter((r) => r.status === 401)).toHaveLength(LIMIT);
      expect(answers.filter((r) => r.status === 429)).toHaveLength(30 - LIMIT);
    });
  });

  describe('Bull Board is read-only by default', () => {
    let maintenance: Queue;
    beforeAll(() => {
      maintenance = t.app.get(MaintenanceQueueService).queue;
    });
    const board = () => from(newAddress());
    const auth = basic(USER, PASSWORD);

    it('still shows both queues, marked read-only', async () => {
      const res = await board().get(`${BOARD}/api/queues`).set('Authorization', auth).expect(200);
      const queues: { name: string; readOnlyMode: boolean }[] = res.body.queues;
      expect(queues.map((q) => [q.name, q.readOnlyMode]).sort()).toEqual([
        ['maintenance', true],
        ['webhook-deliveries', true],
      ]);
    });

    it('refuses every write action with 405 and changes nothing', async () => {
      await waitFor(async () => (await maintenance.getJobSchedulers()).length > 0, { what: 'retention scheduler registered' });
      const job = await maintenance.add(
        'probe',
        { olderThanDays: 30, includeFailed: false },
        { delay: 3_600_000, timestamp: Date.now() - 60_000 },
      );
      const writes = [
        'pause',
        'clean/delayed',
        'obliterate',
        'empty',
        'promote',
        'retry/failed',
        `${job.id}/clean`,
        `${job.id}/promote`,
        `job-schedulers/${RETENTION_SCHEDULER_ID}/remove`,
      ];
      for (const action of writes) {
        const res = await board().put(`${BOARD}/api/queues/maintenance/${action}`).set('Authorization', auth).send({});
        expect({ action, status: res.status }).toEqual({ action, status: 405 });
      }
      const add = await request(t.http)
        .post(`${BOARD}/api/queues/maintenance/add`)
        .set('X-Forwarded-For', newAddress())
        .set('Authorization', auth)
        .send({ name: 'x', data: {} });
      expect(add.status).toBe(405);
      const update = await request(t.http)
        .patch(`${BOARD}/api/queues/maintenance/${job.id}/update-data`)
        .set('X-Forwarded-For', newAddress())
        .set('Authorization', auth)
        .send({ jobData: { a: 1 } });
      expect(update.status).toBe(405);

      expect(await maintenance.isPaused()).toBe(false);
      expect(await maintenance.getJobState(job.id!)).toBe('delayed');
      expect((await maintenance.getJob(job.id!))?.data).toEqual({ olderThanDays: 30, includeFailed: false });
      expect(await maintenance.getJobCounts('wait', 'active', 'completed', 'failed')).toEqual({
        wait: 0,
        active: 0,
        completed: 0,
        failed: 0,
      });
      expect((await maintenance.getJobSchedulers()).map((s) => s.key)).toEqual([RETENTION_SCHEDULER_ID]);
      await job.remove();
    });

    it('allows them with BULL_BOARD_READ_ONLY=false', async () => {
      const writable = await startTestApp({ ADMIN_USER: USER, ADMIN_PASSWORD: PASSWORD, BULL_BOARD_READ_ONLY: 'false' });
      try {
        const queue = writable.app.get(MaintenanceQueueService).queue;
        const job = await queue.add(
          'probe',
          { olderThanDays: 30, includeFailed: false },
          { delay: 3_600_000, timestamp: Date.now() - 60_000 },
        );
        const put = (action: string) =>
          request(writable.http).put(`${BOARD}/api/queues/maintenance/${action}`).set('Authorization', auth).send({});
        const listed = await request(writable.http).get(`${BOARD}/api/queues`).set('Authorization', auth).expect(200);
        expect(listed.body.queues.every((q: { readOnlyMode?: boolean }) => q.readOnlyMode === false)).toBe(true);

        await put('clean/delayed').expect(200);
        expect(await queue.getJob(job.id!)).toBeUndefined();
        await put('pause').expect(200);
        expect(await queue.isPaused()).toBe(true);
      } finally {
        await writable.close();
      }
    });
  });

  describe('impossible dates are a 400, never a 500', () => {
    const fieldsOf = (res: request.Response) => (res.body.details as { field: string }[]).map((d) => d.field);
    const cursorFor = (createdAt: string) => Buffer.from(JSON.stringify([createdAt, randomUUID()]), 'utf8').toString('base64url');

    it.each([
      ['a week date', 'since', '2026-W01-1'],
      ['an offset of -23:59', 'since', '2026-01-01T00:00:00-23:59'],
      ['an offset of +14:30', 'until', '2026-01-01T00:00:00+14:30'],
      ['offset minutes of 60', 'since', '2026-01-01T00:00:00+01:60'],
      ['February 30th', 'until', '2026-02-30'],
      ['February 29th of a common year', 'since', '2026-02-29T10:00:00Z'],
      ['an ordinal date', 'since', '2026-060'],
      ['a year alone', 'until', '2026'],
      ['24:00', 'since', '2026-01-01T24:00'],
    ])('GET deliveries with %s', async (_label, field, value) => {
      const res = await api('get', `/deliveries?${field}=${encodeURIComponent(value)}`).expect(400);
      expect(res.body.error).toBe('validation_failed');
      expect(fieldsOf(res)).toEqual([field]);
    });

    it.each([
      ['February 30th', '2026-02-30 10:00:00.123456+00'],
      ['a week date', '2026-W01-1'],
      ['an offset of -23:59', '2026-01-01 00:00:00-23:59'],
      ['hour 25', '2026-01-01 25:00:00+00'],
    ])('GET deliveries with a cursor decoding to %s', async (_label, createdAt) => {
      const res = await api('get', `/deliveries?cursor=${cursorFor(createdAt)}`).expect(400);
      expect(res.body.error).toBe('validation_failed');
      expect(fieldsOf(res)).toEqual(['cursor']);
    });

    it.each([
      ['a week date', { since: '2026-W01-1' }, 'since'],
      ['an offset of -23:59', { since: '2026-01-01T00:00:00-23:59' }, 'since'],
      ['February 30th', { event: 'lead_scraped', until: '2026-02-30T00:00:00Z' }, 'until'],
      ['April 31st', { until: '2026-04-31' }, 'until'],
      ['a number', { since: 1767225600000 }, 'since'],
    ])('POST replay with %s', async (_label, body, field) => {
      const res = await api('post', '/replay').send(body).expect(400);
      expect(res.body.error).toBe('validation_failed');
      expect(fieldsOf(res)).toEqual([field]);
    });

    it('accepts real dates, dates alone and offsets up to ±14:00 (control)', async () => {
      for (const since of ['2026-02-28', '2024-02-29T10:00:00Z', '2026-01-01T00:00:00-14:00', '2026-01-01 12:30:00.123456+05:30']) {
        expect((await api('get', `/deliveries?since=${encodeURIComponent(since)}&until=2099-12-31`).expect(200)).body.items).toEqual([]);
      }
      expect((await api('post', '/replay').send({ since: '2099-01-01T00:00:00+14:00', until: '2099-02-28' }).expect(200)).body).toEqual({
        replayed: 0,
      });
      // A cursor the API itself issued keeps working.
      expect((await api('get', `/deliveries?cursor=${cursorFor('2026-11-29 10:00:00.123456+00')}`).expect(200)).body.items).toEqual([]);
    });
  });

  describe('retention covers incoming rows', () => {
    /** Inserts `count` incoming log rows `ageDays` old, tagged with `label` as their endpoint. */
    const seedIncoming = (label: string, count: number, ageDays: number) =>
      t.dataSource.query(
        `INSERT INTO webhook_logs (direction, endpoint, outcome, source_ip, created_at)
          SELECT 'incoming', $1, 'accepted', '203.0.113.1', now() - make_interval(days => $3) FROM generate_series(1, $2)`,
        [label, count, ageDays],
      );
    /** Inserts `count` idempotency keys `ageDays` old, with `label` as their endpoint. */
    const seedCallbacks = (label: string, count: number, ageDays: number) =>
      t.dataSource.query(
        `INSERT INTO webhook_callbacks (idempotency_key, endpoint, status_code, response, created_at)
          SELECT $1 || '-' || i, $1, 200, '{}'::jsonb, now() - make_interval(days => $3) FROM generate_series(1, $2) AS i`,
        [`${label}-${ageDays}d`, count, ageDays],
      );
    const countOf = async (sql: string, param?: unknown): Promise<number> =>
      (await t.dataSource.query(sql, param === undefined ? [] : [param]))[0].n;
    /** Everything the sweep should take (other tests of this file may have left old rows too). */
    const olderThan = async (days: number) => ({
      incoming_logs: await countOf(
        `SELECT count(*)::int AS n FROM webhook_logs WHERE direction = 'incoming' AND created_at < now() - make_interval(days => $1)`,
        days,
      ),
      callbacks: await countOf(
        `SELECT count(*)::int AS n FROM webhook_callbacks WHERE created_at < now() - make_interval(days => $1)`,
        days,
      ),
    });
    const incoming = (label: string) => countOf(`SELECT count(*)::int AS n FROM webhook_logs WHERE endpoint = $1`, label);
    const callbacks = (label: string) => countOf(`SELECT count(*)::int AS n FROM webhook_callbacks WHERE endpoint LIKE $1 || '%'`, label);

    it('the daily job deletes incoming logs and idempotency keys older than RETENTION_DAYS (in batches), not younger ones', async () => {
      const label = `retention-${randomUUID()}`;
      // More than two batches of 2,000 old rows each, so the batching loop has to go round.
      await seedIncoming(label, 4500, 31);
      await seedIncoming(label, 7, 29);
      await seedCallbacks(label, 4100, 31);
      await seedCallbacks(label, 5, 29);
      const outgoing = randomUUID();
      await t.dataSource.query(
        `INSERT INTO webhook_logs (direction, delivery_id, endpoint, outcome, created_at) VALUES ('outgoing', $1, $2, 'sent', now() - interval '40 days')`,
        [outgoing, label],
      );

      const expected = await olderThan(30);
      expect(expected.incoming_logs).toBeGreaterThanOrEqual(4500);
      expect(expected.callbacks).toBeGreaterThanOrEqual(4100);

      const maintenance = t.app.get(MaintenanceQueueService);
      const job = await maintenance.runRetentionNow();
      const done = await waitFor(async () => ((await job.getState()) === 'completed' ? maintenance.queue.getJob(job.id!) : undefined), {
        what: 'retention job done',
      });

      expect(done.returnvalue).toMatchObject(expected);
      expect(await olderThan(30)).toEqual({ incoming_logs: 0, callbacks: 0 });
      expect(await countOf(`SELECT count(*)::int AS n FROM webhook_logs WHERE endpoint = $1 AND direction = 'incoming'`, label)).toBe(7);
      expect(await callbacks(`${label}-29d`)).toBe(5);
      expect(await callbacks(`${label}-31d`)).toBe(0);
      // An outgoing row is not the incoming sweep's to delete: it goes with its event (here there is none).
      expect(await countOf(`SELECT count(*)::int AS n FROM webhook_logs WHERE endpoint = $1 AND direction = 'outgoing'`, label)).toBe(1);
    });

    it('POST cleanup does the same with its own number of days', async () => {
      const label = `cleanup-${randomUUID()}`;
      await seedIncoming(label, 3, 8);
      await seedIncoming(label, 2, 6);
      await seedCallbacks(label, 4, 8);
      await seedCallbacks(label, 1, 6);
      const expected = await olderThan(7);
      expect(expected.incoming_logs).toBeGreaterThanOrEqual(3);
      const res = await api('post', '/cleanup').send({ older_than_days: 7 }).expect(200);
      expect(res.body).toMatchObject(expected);
      expect(await olderThan(7)).toEqual({ incoming_logs: 0, callbacks: 0 });
      expect(await incoming(label)).toBe(2);
      expect(await callbacks(`${label}-8d`)).toBe(0);
      expect(await callbacks(`${label}-6d`)).toBe(1);
    });
  });
});
