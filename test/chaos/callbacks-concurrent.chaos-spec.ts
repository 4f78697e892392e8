import { randomUUID } from 'node:crypto';
import { Demo } from '../../src/domain/demos/demo.entity';
import { CALLBACKS } from '../support/callbacks';
import { TestReceiver } from '../support/receiver';
import { signedHeaders } from '../support/sign';
import { TEST_WEBHOOK_SECRET } from '../support/test-app';
import { scaled } from './chaos-report';
import { ChaosStack } from './chaos-stack';
import { itLosesNothing, readOutcome, ScenarioOutcome, ScenarioReport, waitUntilSettled } from './nothing-lost';
import { ScriptedReplies, slowOk } from './scripted-replies';

/** Callbacks sent, each as COPIES concurrent copies with one X-Webhook-Id (all of them at once). */
const KEYS = scaled(10);
const COPIES = 20;

interface CallbackAnswer {
  status: number;
  replayed: string | null;
  body: unknown;
}

/**
 * n8n retrying a callback (or a network duplicating it) sends the same signed bytes with the same
 * X-Webhook-Id several times at once: exactly one copy is applied, in one transaction, and every
 * other copy gets the stored answer marked `Idempotent-Replayed: true`. A callback whose chained
 * step fails inside the transaction leaves nothing behind, not even its idempotency key.
 */
describe(`chaos f: concurrent copies of n8n callbacks (${KEYS} callbacks × ${COPIES} copies)`, () => {
  const receiver = new TestReceiver();
  let stack: ChaosStack | undefined;
  let replies: ScriptedReplies;
  const all = () => stack!;

  /** POSTs exactly these bytes, signed now, to a callback endpoint. */
  async function postCallback(endpoint: string, raw: string, id: string, timestamp?: number): Promise<CallbackAnswer> {
    const res = await fetch(`${all().apiUrl}${CALLBACKS}/${endpoint}`, {
      method: 'POST',
      headers: signedHeaders(raw, TEST_WEBHOOK_SECRET, { id, timestamp }),
      body: raw,
      signal: AbortSignal.timeout(30000),
    });
    return { status: res.status, replayed: res.headers.get('idempotent-replayed'), body: await res.json().catch(() => undefined) };
  }

  const count = async (sql: string, params: unknown[]) => (await all().reader.query<{ n: number }>(sql, params))[0]!.n;

  beforeAll(async () => {
    await receiver.start();
    replies = new ScriptedReplies(receiver, slowOk(20, 80));
    // One app that also delivers (no worker process needed here); no incoming rate limit for the burst.
    stack = await ChaosStack.start({
      env: {
        N8N_BASE_URL: receiver.url,
        INCOMING_RATE_LIMIT_PER_MINUTE: '0',
        OUTBOX_RELAY_INTERVAL_MS: '200',
        WEBHOOK_RETRY_DELAYS_MS: '500',
      },
      apiRole: 'all',
      workers: 0,
    });
  }, 120000);

  afterAll(async () => {
    await stack?.stop();
    await receiver.stop();
  });

  describe(`${COPIES} concurrent copies of each error-notification`, () => {
    const report = new ScenarioReport(`f. ${KEYS}×${COPIES} concurrent callback copies`);
    const answers = new Map<string, CallbackAnswer[]>();
    const workflows = new Map<string, string>();
    let outcome: ScenarioOutcome;

    beforeAll(async () => {
      const leads = await all().createLeads(KEYS, { tag: 'callback' });
      expect(leads.created).toHaveLength(KEYS);
      const timestamp = Math.floor(Date.now() / 1000);
      const sends = leads.created.map(async (leadId, i) => {
        const key = randomUUID();
        const workflowId = `wf-chaos-${i}-${key.slice(0, 8)}`;
        workflows.set(key, workflowId);
        const raw = JSON.stringify({
          workflow_id: workflowId,
          execution_id: `exec-${key}`,
          lead_id: leadId,
          node: 'Render',
          error_message: `render failed (${i})`,
          severity: 'critical',
        });
        answers.set(key, await Promise.all(Array.from({ length: COPIES }, () => postCallback('error-notification', raw, key, timestamp))));
      });
      await Promise.all(sends);

      const settled = await waitUntilSettled(
        all(),
        () => receiver.requests,
        (ds) => ds,
        60000,
      );
      outcome = await readOutcome(all(), {
        requests: [...receiver.requests],
        accepted: (r) => replies.accepted(r),
        settled,
        expected: (ds) => ds,
      });
      report.finish(outcome, `${KEYS * COPIES} callbacks at once`);
    }, 120000);

    afterAll(() => report.write());

    it(`answers every copy 200: one applied, ${COPIES - 1} marked Idempotent-Replayed with the same body`, () => {
      for (const [key, list] of answers) {
        expect({ key, statuses: list.map((a) => a.status) }).toEqual({ key, statuses: list.map(() => 200) });
        expect({ key, fresh: list.filter((a) => a.replayed === null).length }).toEqual({ key, fresh: 1 });
        expect({ key, replayed: list.filter((a) => a.replayed === 'true').length }).toEqual({ key, replayed: COPIES - 1 });
        const applied = list.find((a) => a.replayed === null);
        expect({ key, bodies: list.map((a) => a.body) }).toEqual({ key, bodies: list.map(() => applied?.body) });
      }
      expect(answers.size).toBe(KEYS);
    });

    it('stores one report, one idempotency key and one workflow_error event per callback', async () => {
      for (const [key, workflowId] of workflows) {
        const rows = {
          key,
          reports: await count(`SELECT count(*)::int AS n FROM workflow_error_reports WHERE workflow_id = $1`, [workflowId]),
          keys: await count(`SELECT count(*)::int AS n FROM webhook_callbacks WHERE idempotency_key = $1`, [key]),
          events: await count(
            `SELECT count(*)::int AS n FROM webhook_queue WHERE event_type = 'workflow_error' AND payload->'data'->>'workflow_id' = $1`,
            [workflowId],
          ),
        };
        expect(rows).toEqual({ key, reports: 1, keys: 1, events: 1 });
      }
    });

    it('delivers exactly one workflow_error per callback', () => {
      const delivered = receiver.byEvent('workflow_error').map((r) => String(r.body?.data?.workflow_id));
      expect(delivered.sort()).toEqual([...workflows.values()].sort());
    });

    itLosesNothing(() => outcome);
  });

  describe('a callback whose chained step fails inside the transaction', () => {
    /** Makes Postgres refuse the rows `condition` matches on `table`, through a trigger dropped by the returned function. */
    async function refuseRows(table: string, condition: string): Promise<() => Promise<void>> {
      const name = `chaos_refuse_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      await all().reader.query(
        `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'chaos: % refused', TG_TABLE_NAME; END $$`,
      );
      await all().reader.query(
        `CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW WHEN (${condition}) EXECUTE FUNCTION ${name}()`,
      );
      return async () => {
        await all().reader.query(`DROP TRIGGER IF EXISTS ${name} ON ${table}`);
        await all().reader.query(`DROP FUNCTION IF EXISTS ${name}()`);
      };
    }

    it('demo-approval: the video it requests cannot be inserted, so the approval is rolled back too; sent again later, it applies once', async () => {
      const [leadId] = (await all().createLeads(1, { tag: 'approval' })).created;
      const repo = all().api.dataSource.getRepository(Demo);
      const demo = await repo.save(
        repo.create({ leadId: leadId!, status: 'completed', approvalStatus: 'pending', url: 'https://demos.example/x' }),
      );
      const key = randomUUID();
      const raw = JSON.stringify({ demo_id: demo.id, approved: true, reviewer: 'marie', notes: 'ship it' });

      const allow = await refuseRows('videos', `NEW.demo_id = '${demo.id}'`);
      let failed: CallbackAnswer;
      try {
        failed = await postCallback('demo-approval', raw, key);
      } finally {
        await allow();
      }
      expect(failed.status).toBe(500);
      const [after] = await all().reader.query<{ approval_status: string; reviewed_by: string | null; reviewed_at: Date | null }>(
        `SELECT approval_status, reviewed_by, reviewed_at FROM demos WHERE id = $1`,
        [demo.id],
      );
      expect(after).toEqual({ approval_status: 'pending', reviewed_by: null, reviewed_at: null });
      expect(await count(`SELECT count(*)::int AS n FROM videos WHERE demo_id = $1`, [demo.id])).toBe(0);
      expect(await count(`SELECT count(*)::int AS n FROM webhook_callbacks WHERE idempotency_key = $1`, [key])).toBe(0);

      // Nothing was stored under the key: the same callback, once the step can succeed, is applied (not replayed).
      const retried = await postCallback('demo-approval', raw, key);
      expect(retried).toMatchObject({
        status: 200,
        replayed: null,
        body: { demo: { approval_status: 'approved' }, video: { demo_id: demo.id } },
      });
      expect(await count(`SELECT count(*)::int AS n FROM videos WHERE demo_id = $1`, [demo.id])).toBe(1);
      expect(await count(`SELECT count(*)::int AS n FROM webhook_callbacks WHERE idempotency_key = $1`, [key])).toBe(1);
    });

    it('error-notification: its workflow_error event cannot be recorded, so the report, the execution and the lead change are rolled back too', async () => {
      const [leadId] = (await all().createLeads(1, { tag: 'refused-event' })).created;
      const key = randomUUID();
      const workflowId = `wf-refused-${key.slice(0, 8)}`;
      const raw = JSON.stringify({
        workflow_id: workflowId,
        execution_id: `exec-${key}`,
        lead_id: leadId,
        error_message: 'boom',
        severity: 'critical',
      });

      const allow = await refuseRows(
        'webhook_queue',
        `NEW.event_type = 'workflow_error' AND NEW.payload->'data'->>'workflow_id' = '${workflowId}'`,
      );
      let failed: CallbackAnswer;
      try {
        failed = await postCallback('error-notification', raw, key);
      } finally {
        await allow();
      }
      expect(failed.status).toBe(500);
      const left = async () => ({
        reports: await count(`SELECT count(*)::int AS n FROM workflow_error_reports WHERE workflow_id = $1`, [workflowId]),
        executions: await count(`SELECT count(*)::int AS n FROM workflow_executions WHERE execution_id = $1`, [`exec-${key}`]),
        leadInError: await count(`SELECT count(*)::int AS n FROM leads WHERE id = $1 AND status = 'error'`, [leadId]),
        keys: await count(`SELECT count(*)::int AS n FROM webhook_callbacks WHERE idempotency_key = $1`, [key]),
        events: await count(`SELECT count(*)::int AS n FROM webhook_queue WHERE payload->'data'->>'workflow_id' = $1`, [workflowId]),
      });
      expect(await left()).toEqual({ reports: 0, executions: 0, leadInError: 0, keys: 0, events: 0 });

      const retried = await postCallback('error-notification', raw, key);
      expect(retried).toMatchObject({ status: 200, replayed: null, body: { lead_status: 'error' } });
      expect(await left()).toEqual({ reports: 1, executions: 1, leadInError: 1, keys: 1, events: 1 });
    });
  });
});
