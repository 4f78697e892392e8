import { createHash, randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../migrations';
import { CallbackBodyHash1796136033867 } from '../migrations/1796136033867-CallbackBodyHash';
import { WebhookLog } from '../src/audit/webhook-log.entity';
import { Demo } from '../src/domain/demos/demo.entity';
import { Lead } from '../src/domain/leads/lead.entity';
import { Video } from '../src/domain/videos/video.entity';
import { WorkflowExecution } from '../src/domain/workflow-executions/workflow-execution.entity';
import { ApprovalsService } from '../src/webhook-responses/approvals.service';
import { CallbackIdempotencyService } from '../src/webhook-responses/callback-idempotency.service';
import { WorkflowExecutionsService } from '../src/webhook-responses/workflow-executions.service';
import { WorkflowStatusWriter } from '../src/webhook-responses/workflow-status.writer';
import { CALLBACKS, postSigned } from './support/callbacks';
import { nowSeconds } from './support/sign';
import { createTestDatabase } from './support/test-database';
import { startTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * An idempotency key (`X-Webhook-Id`) names one request: the same key with the same signed
 * bytes is a repeat (the stored answer, `Idempotent-Replayed: true`), with other bytes it is
 * refused with 422 `idempotency_key_reused` and changes nothing — on the single path, on the
 * grouped `workflow-status` path, and when two copies race.
 */
describe('hardening: an idempotency key means one request', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await (t as TestApp | undefined)?.close();
  });
  afterEach(() => {
    jest.restoreAllMocks();
    restoreIntercepted();
  });

  const repo = <T extends object>(e: new () => T) => t.dataSource.getRepository<T>(e);
  const newDemo = async () => {
    const lead = await repo(Lead).save(
      repo(Lead).create({ title: 'Bakery in Lille', url: `https://ads.example/${randomUUID()}`, email: 'hello@bakery.example' }),
    );
    return repo(Demo).save(
      repo(Demo).create({ leadId: lead.id, status: 'completed', approvalStatus: 'pending', url: 'https://demos.example/x' }),
    );
  };
  /** Signs `body` (as JSON text) with a timestamp `age` seconds old: two sends with different ages are two signed requests. */
  const post = (endpoint: string, body: Record<string, unknown>, id?: string, age = 0) =>
    postSigned(t.http, `${CALLBACKS}/${endpoint}`, body, { id, timestamp: nowSeconds() - age });
  /** Starts the request now (supertest sends on `then`). */
  const send = (endpoint: string, body: Record<string, unknown>, id?: string, age = 0): Promise<Response> =>
    post(endpoint, body, id, age).then((r) => r);
  const sha256 = (body: Record<string, unknown>) => createHash('sha256').update(JSON.stringify(body)).digest('hex');
  const storedKey = async (key: string) =>
    (
      await t.dataSource.query<{ endpoint: string; body_sha256: string | null }[]>(
        `SELECT endpoint, body_sha256 FROM webhook_callbacks WHERE idempotency_key = $1`,
        [key],
      )
    )[0];
  const execution = (executionId: string) => repo(WorkflowExecution).findOneBy({ executionId });
  const expectReused = (res: Response, key: string) => {
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ statusCode: 422, error: 'idempotency_key_reused', details: { idempotency_key: key } });
    expect(res.headers['idempotent-replayed']).toBeUndefined();
  };

  describe('demo-approval', () => {
    it('answers the same key with another body 422 and changes nothing; the same body freshly signed gets the stored answer', async () => {
      const [a, b] = [await newDemo(), await newDemo()];
      const key = randomUUID();
      const approveA = { demo_id: a.id, approved: true, reviewer: 'marie' };
      const first = await post('demo-approval', approveA, key, 2).expect(200);
      expect(first.body.demo).toMatchObject({ id: a.id, approval_status: 'approved' });

      expectReused(await post('demo-approval', { ...approveA, approved: false }, key, 1), key);
      expectReused(await post('demo-approval', { ...approveA, demo_id: b.id }, key, 1), key);
      expect(await repo(Demo).findOneByOrFail({ id: a.id })).toMatchObject({ approvalStatus: 'approved', reviewedBy: 'marie' });
      expect(await repo(Demo).findOneByOrFail({ id: b.id })).toMatchObject({ approvalStatus: 'pending', reviewedBy: null });
      expect(await repo(Video).countBy({ demoId: b.id })).toBe(0);

      const again = await post('demo-approval', approveA, key, 0).expect(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await repo(Video).countBy({ demoId: a.id })).toBe(1);
      expect(await storedKey(key)).toEqual({ endpoint: 'demo-approval', body_sha256: sha256(approveA) });

      // Each refusal is audited as refused, with its status and reason.
      const refusals = await waitFor(async () => {
        const rows = await repo(WebhookLog).findBy({ deliveryId: key, responseStatus: 422 });
        return rows.length === 2 ? rows : undefined;
      });
      for (const row of refusals)
        expect(row).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/^idempotency_key_reused/) });
    });

    it('two concurrent copies of a key with different decisions: exactly one applied, the other 422', async () => {
      const demo = await newDemo();
      const key = randomUUID();
      // Both copies looked the key up (not stored yet) before either decides: a real race.
      meet(t.app.get(ApprovalsService), 'decideDemo', 2, ([dto]) => (dto as { demo_id: string }).demo_id === demo.id);
      const bodies = [
        { demo_id: demo.id, approved: true },
        { demo_id: demo.id, approved: false },
      ];
      const results = await Promise.all(bodies.map((body) => send('demo-approval', body, key)));

      const won = results.findIndex((r) => r.status === 200);
      expect(won).toBeGreaterThanOrEqual(0);
      expectReused(results[1 - won]!, key);
      expect((await repo(Demo).findOneByOrFail({ id: demo.id })).approvalStatus).toBe(won === 0 ? 'approved' : 'rejected');
      expect(await storedKey(key)).toEqual({ endpoint: 'demo-approval', body_sha256: sha256(bodies[won]!) });
    });

    it('still answers a key used for another endpoint with 409 conflict', async () => {
      const demo = await newDemo();
      const key = randomUUID();
      await post('demo-approval', { demo_id: demo.id, approved: true }, key).expect(200);
      const other = await post('video-approval', { video_id: randomUUID(), approved: true }, key).expect(409);
      expect(other.body).toMatchObject({ error: 'conflict', details: { endpoint: 'demo-approval' } });
    });

    it('takes a key stored before body hashes were kept (NULL) as the same body: the stored answer, nothing applied', async () => {
      const demo = await newDemo();
      const key = randomUUID();
      await t.dataSource.query(
        `INSERT INTO webhook_callbacks (idempotency_key, endpoint, status_code, response) VALUES ($1, 'demo-approval', 200, '{"stored":"before the migration"}')`,
        [key],
      );
      const res = await post('demo-approval', { demo_id: demo.id, approved: true }, key).expect(200);
      expect(res.headers['idempotent-replayed']).toBe('true');
      expect(res.body).toEqual({ stored: 'before the migration' });
      expect((await repo(Demo).findOneByOrFail({ id: demo.id })).approvalStatus).toBe('pending');
    });
  });

  describe('workflow-status', () => {
    const report = (over: Record<string, unknown> = {}) => ({
      workflow_id: 'wf-idem',
      execution_id: `exec-${randomUUID()}`,
      status: 'running',
      progress: 10,
      step: 'Scrape',
      ...over,
    });

    it('single path: another status or another execution under a used key is 422; the same body freshly signed gets the stored answer', async () => {
      const key = randomUUID();
      const first = report();
      const applied = await post('workflow-status', first, key, 2).expect(200);
      expect(applied.body.execution).toMatchObject({ execution_id: first.execution_id, status: 'running', progress: 10 });

      expectReused(await post('workflow-status', { ...first, status: 'error' }, key, 1), key);
      const elsewhere = report();
      expectReused(await post('workflow-status', { ...first, execution_id: elsewhere.execution_id }, key, 1), key);
      expect(await execution(first.execution_id)).toMatchObject({ status: 'running', progress: 10 });
      expect(await execution(elsewhere.execution_id)).toBeNull();

      const again = await post('workflow-status', first, key, 0).expect(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(applied.body);
      expect(await storedKey(key)).toEqual({ endpoint: 'workflow-status', body_sha256: sha256(first) });
    });

    it('grouped path: the stored key is checked against each body of the group', async () => {
      const key = randomUUID();
      const first = report();
      const applied = await post('workflow-status', first, key, 3).expect(200);
      const elsewhere = report();
      const others = [report(), report()];

      const results = await inOneGroup([
        () => send('workflow-status', { ...first, status: 'error' }, key, 2),
        () => send('workflow-status', { ...first, execution_id: elsewhere.execution_id }, key, 1),
        () => send('workflow-status', first, key, 0),
        ...others.map((o) => () => send('workflow-status', o, randomUUID())),
      ]);

      expectReused(results[0]!, key);
      expectReused(results[1]!, key);
      expect(results[2]!.status).toBe(200);
      expect(results[2]!.headers['idempotent-replayed']).toBe('true');
      expect(results[2]!.body).toEqual(applied.body);
      for (const r of results.slice(3)) expect(r.status).toBe(200);
      expect(await execution(first.execution_id)).toMatchObject({ status: 'running', progress: 10 });
      expect(await execution(elsewhere.execution_id)).toBeNull();
      for (const o of others) expect(await execution(o.execution_id)).toMatchObject({ status: 'running' });
    });

    it('grouped path: copies of a new key with different bodies in one group: the first in is applied, the others 422, the same body replayed', async () => {
      const key = randomUUID();
      const base = report();
      const bodies = [
        { ...base, progress: 20 },
        { ...base, progress: 80 },
      ];
      const other = report();
      const results = await inOneGroup([
        () => send('workflow-status', bodies[0]!, key, 1),
        () => send('workflow-status', bodies[1]!, key, 1),
        () => send('workflow-status', bodies[0]!, key, 0),
        () => send('workflow-status', other, randomUUID()),
      ]);

      const fresh = results.slice(0, 3).filter((r) => r.status === 200 && !r.headers['idempotent-replayed']);
      expect(fresh).toHaveLength(1);
      const progress = fresh[0]!.body.execution.progress as number;
      results.slice(0, 3).forEach((r, i) => {
        const body = i === 1 ? bodies[1]! : bodies[0]!;
        if (r === fresh[0]) return;
        if (body.progress === progress) expect([r.status, r.headers['idempotent-replayed'], r.body]).toEqual([200, 'true', fresh[0]!.body]);
        else expectReused(r, key);
      });
      expect(await execution(base.execution_id)).toMatchObject({ progress });
      expect(await storedKey(key)).toEqual({ endpoint: 'workflow-status', body_sha256: sha256(progress === 20 ? bodies[0]! : bodies[1]!) });
      expect(results[3]!.status).toBe(200);
    });

    it('two groups at once with the same new key and different bodies: exactly one applied, the other 422, the rest of both groups applied', async () => {
      const writer = t.app.get(WorkflowStatusWriter);
      const writes = jest.spyOn(writer, 'write');
      const slots = [holdReport(), holdReport()];
      const busy = slots.map((slot) => send('workflow-status', report({ execution_id: slot.executionId })));
      await waitFor(() => slots.every((s) => s.arrived()), { what: 'both write slots held' });
      // Both groups look their keys up before either stores one.
      const lookups = meet(t.app.get(CallbackIdempotencyService), 'storedAnswers', 2, () => true);

      const key = randomUUID();
      const base = report();
      const bodies = [
        { ...base, progress: 20 },
        { ...base, progress: 80 },
      ];
      const others = [report(), report(), report(), report()];
      const group1 = [
        send('workflow-status', bodies[0]!, key),
        send('workflow-status', others[0]!, randomUUID()),
        send('workflow-status', others[1]!),
      ];
      await waitFor(() => writes.mock.calls.length === 5, { what: 'the first group queued' });
      slots[0]!.release();
      await waitFor(() => lookups.arrived() === 1, { what: 'the first group looking its keys up' });
      const group2 = [
        send('workflow-status', bodies[1]!, key),
        send('workflow-status', others[2]!, randomUUID()),
        send('workflow-status', others[3]!),
      ];
      await waitFor(() => writes.mock.calls.length === 8, { what: 'the second group queued' });
      slots[1]!.release();

      const [r1, r2] = [await Promise.all(group1), await Promise.all(group2)];
      await Promise.all(busy);
      const copies = [r1[0]!, r2[0]!];
      const won = copies.findIndex((r) => r.status === 200);
      expect(won).toBeGreaterThanOrEqual(0);
      expect(copies[won]!.headers['idempotent-replayed']).toBeUndefined();
      expectReused(copies[1 - won]!, key);
      expect(await execution(base.execution_id)).toMatchObject({ progress: bodies[won]!.progress });
      expect(await storedKey(key)).toEqual({ endpoint: 'workflow-status', body_sha256: sha256(bodies[won]!) });
      for (const r of [...r1.slice(1), ...r2.slice(1)]) expect(r.status).toBe(200);
      for (const o of others) expect(await execution(o.execution_id)).toMatchObject({ status: 'running' });
    });

    it('single path: two concurrent copies of a new key with different bodies: exactly one applied, the other 422', async () => {
      const key = randomUUID();
      const base = report();
      const bodies = [
        { ...base, progress: 20 },
        { ...base, progress: 80 },
      ];
      // Both copies passed the key lookup (not stored yet) before either writes: a real race.
      meet(t.app.get(WorkflowExecutionsService), 'upsertStatuses', 2, ([, reports]) =>
        (reports as { execution_id: string }[]).some((r) => r.execution_id === base.execution_id),
      );
      const results = await Promise.all(bodies.map((body) => send('workflow-status', body, key)));

      const won = results.findIndex((r) => r.status === 200);
      expect(won).toBeGreaterThanOrEqual(0);
      expectReused(results[1 - won]!, key);
      expect(await execution(base.execution_id)).toMatchObject({ progress: bodies[won]!.progress });
    });

    /**
     * Holds both write slots of the writer with two unkeyed reports, starts `requests`, waits
     * until all of them are queued, then frees the slots: they are written as one group.
     */
    async function inOneGroup(requests: Array<() => Promise<Response>>): Promise<Response[]> {
      const writes = jest.spyOn(t.app.get(WorkflowStatusWriter), 'write');
      const slots = [holdReport(), holdReport()];
      const busy = slots.map((slot) => send('workflow-status', report({ execution_id: slot.executionId })));
      await waitFor(() => slots.every((s) => s.arrived()), { what: 'both write slots held' });
      const started = requests.map((start) => start());
      await waitFor(() => writes.mock.calls.length === 2 + requests.length, { what: 'the group queued' });
      // The first slot freed takes the whole queue as one group; the other then finds nothing left.
      slots[0]!.release();
      slots[1]!.release();
      const results = await Promise.all(started);
      for (const r of await Promise.all(busy)) expect(r.status).toBe(200);
      return results;
    }
  });

  /** A workflow-status report (by execution id) whose write waits in `upsertStatuses` until released. */
  function holdReport(): { executionId: string; arrived(): boolean; release(): void } {
    const executionId = `busy-${randomUUID()}`;
    let arrived = false;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    intercept(t.app.get(WorkflowExecutionsService), 'upsertStatuses', async ([, reports]) => {
      if (!(reports as { execution_id: string }[]).some((r) => r.execution_id === executionId)) return;
      arrived = true;
      await released;
    });
    return { executionId, arrived: () => arrived, release };
  }
});

describe('migration CallbackBodyHash', () => {
  it('adds a NULL hash to the existing keys (kept with their answers) and drops it again on down', async () => {
    const db = await createTestDatabase();
    const mine = MIGRATIONS.indexOf(CallbackBodyHash1796136033867);
    expect(mine).toBeGreaterThan(0);
    const source = (migrations: typeof MIGRATIONS) =>
      new DataSource({
        type: 'postgres',
        url: db.url,
        migrations,
        migrationsTableName: 'migrations',
        migrationsTransactionMode: 'each',
        logging: false,
      });
    const before = source(MIGRATIONS.slice(0, mine));
    const upTo = source(MIGRATIONS.slice(0, mine + 1));
    const columns = async () =>
      (
        await upTo.query<{ column_name: string }[]>(
          `SELECT column_name FROM information_schema.columns WHERE table_name = 'webhook_callbacks' ORDER BY column_name`,
        )
      ).map((c) => c.column_name);
    try {
      await before.initialize();
      await before.runMigrations();
      await before.query(
        `INSERT INTO webhook_callbacks (idempotency_key, endpoint, status_code, response) VALUES ('old-1', 'demo-approval', 200, '{"a":1}'), ('old-2', 'workflow-status', 404, '{"b":2}')`,
      );
      await before.destroy();

      await upTo.initialize();
      expect((await upTo.runMigrations()).map((m) => m.name)).toEqual(['CallbackBodyHash1796136033867']);
      expect(await columns()).toContain('body_sha256');
      expect(
        await upTo.query(
          `SELECT idempotency_key, endpoint, body_sha256, status_code, response FROM webhook_callbacks ORDER BY idempotency_key`,
        ),
      ).toEqual([
        { idempotency_key: 'old-1', endpoint: 'demo-approval', body_sha256: null, status_code: 200, response: { a: 1 } },
        { idempotency_key: 'old-2', endpoint: 'workflow-status', body_sha256: null, status_code: 404, response: { b: 2 } },
      ]);

      await upTo.undoLastMigration();
      expect(await columns()).not.toContain('body_sha256');
      expect(await upTo.query(`SELECT idempotency_key, status_code FROM webhook_callbacks ORDER BY idempotency_key`)).toEqual([
        { idempotency_key: 'old-1', status_code: 200 },
        { idempotency_key: 'old-2', status_code: 404 },
      ]);
    } finally {
      if (before.isInitialized) await before.destroy();
      if (upTo.isInitialized) await upTo.destroy();
      await db.drop();
    }
  });
});

type AsyncMethod = (this: unknown, ...args: unknown[]) => Promise<unknown>;
const undo: Array<() => void> = [];

/**
 * Runs `before(args)` ahead of every call of `object[method]`, on that instance only. Several
 * may be stacked on one method (each wraps the previous); `restoreIntercepted()` removes them all.
 */
function intercept(object: object, method: string, before: (args: unknown[]) => Promise<void>): void {
  const target = object as Record<string, AsyncMethod>;
  const own = Object.prototype.hasOwnProperty.call(target, method);
  const previous = target[method]!;
  target[method] = async function (this: unknown, ...args: unknown[]) {
    await before(args);
    return previous.apply(this, args);
  };
  undo.push(() => (own ? (target[method] = previous) : Reflect.deleteProperty(target, method)));
}

function restoreIntercepted(): void {
  while (undo.length) undo.pop()!();
}

/** The first `count` calls of `object[method]` matching `matches` wait for each other, then all go on together. */
function meet(object: object, method: string, count: number, matches: (args: unknown[]) => boolean): { arrived(): number } {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  intercept(object, method, async (args) => {
    if (arrived >= count || !matches(args)) return;
    if (++arrived === count) open();
    await opened;
  });
  return { arrived: () => arrived };
}
