import { randomUUID } from 'node:crypto';
import { DeliveryClaimsService } from '../src/delivery/delivery-claims.service';
import { TriggerService } from '../src/triggers/trigger.service';
import { WebhookQueueService } from '../src/queue/webhook-queue.service';
import { spawnBridge, startApiWithWorkers, stopBridge } from './support/bridge-process';
import { TestReceiver } from './support/receiver';
import { baseTestEnv, deleteRedisPrefix, startTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

const history = (t: TestApp, id: string) =>
  t.dataSource.query<{ attempt: number; outcome: string }[]>(
    `SELECT attempt, outcome FROM webhook_retry_history WHERE delivery_id = $1 ORDER BY attempt, id`,
    [id],
  );
const row = async (t: TestApp, id: string) =>
  (await t.dataSource.query<{ status: string; attempts: number }[]>(`SELECT status, attempts FROM webhook_queue WHERE id = $1`, [id]))[0];

/**
 * The attempt number belongs to the delivery row in Postgres, not to the BullMQ job: a job the
 * relay re-creates, or one re-run after its worker died, goes on counting, and what the receiver
 * sees in X-Webhook-Attempt, the history rows and `attempts` agree.
 */
describe('attempts are counted across jobs', () => {
  const receiver = new TestReceiver();
  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());
  beforeEach(() => receiver.reset());

  it('a retrying delivery whose Redis keys are lost is re-queued by the relay as attempt 2', async () => {
    const t = await startTestApp({
      N8N_BASE_URL: receiver.url,
      WEBHOOK_RETRY_DELAYS_MS: '600000', // the retry would wait ten minutes: only the relay brings it back
      OUTBOX_RELAY_INTERVAL_MS: '200',
    });
    try {
      receiver.respondWith((req) => (req.headers['x-webhook-attempt'] === '1' ? { status: 503 } : { status: 200 }));
      const id = (await t.app.get(TriggerService).emit('lead_responded', { entity: { type: 'lead', id: randomUUID() }, data: {} }))!.id;
      await waitFor(async () => (await row(t, id))?.status === 'retrying' || undefined, { what: 'retrying' });
      // FLUSHALL, as far as this app's queue is concerned.
      await deleteRedisPrefix(t.config.redis.queuePrefix);
      await waitFor(async () => (await row(t, id))?.status === 'sent' || undefined, { timeoutMs: 20_000, what: 'sent after the relay' });
      expect(receiver.requests.map((r) => r.headers['x-webhook-attempt'])).toEqual(['1', '2']);
      expect(await row(t, id)).toEqual({ status: 'sent', attempts: 2 });
      expect(await history(t, id)).toEqual([
        { attempt: 1, outcome: 'retrying' },
        { attempt: 2, outcome: 'sent' },
      ]);
    } finally {
      await t.close();
    }
  });

  it('two jobs of one delivery claimed in the same batch: only one gets the row, so one attempt 1 is sent, never two', async () => {
    const t = await startTestApp({ N8N_BASE_URL: 'http://127.0.0.1:9', APP_ROLE: 'api' });
    try {
      const id = (await t.app.get(TriggerService).emit('lead_responded', { entity: { type: 'lead', id: randomUUID() }, data: {} }))!.id;
      const claims = t.app.get(DeliveryClaimsService);
      // Two claims of other (unknown) ids take both batch slots; the two claims of this delivery,
      // submitted while those are in flight, form the next batch together (one UPDATE … RETURNING).
      const [, , first, second] = await Promise.all([
        claims.claim(randomUUID()),
        claims.claim(randomUUID()),
        claims.claim(id),
        claims.claim(id),
      ]);
      expect(first).toMatchObject({ id, attempt: 1 });
      expect(second).toBeUndefined();
      expect(await row(t, id)).toEqual({ status: 'sending', attempts: 1 });
    } finally {
      await t.close();
    }
  });

  it('a worker killed while its POST is in flight: redelivered within 1.5 × WORKER_LOCK_MS as attempt 2, the first audited as interrupted', async () => {
    const lockMs = 2000;
    const stack = await startApiWithWorkers(
      { N8N_BASE_URL: receiver.url, WORKER_LOCK_MS: String(lockMs), WEBHOOK_TIMEOUT_MS: '20000' },
      {},
      1,
    );
    const { t } = stack;
    let second: ReturnType<typeof spawnBridge> | undefined;
    try {
      // The first request never gets an answer; the second one gets a 200.
      receiver.respondWith((req) => (req.headers['x-webhook-attempt'] === '1' ? 'hang' : { status: 200 }));
      const id = (await t.app.get(TriggerService).emit('lead_responded', { entity: { type: 'lead', id: randomUUID() }, data: {} }))!.id;
      await receiver.waitForCount(() => true, 1);
      // A second worker joins while the first one is waiting for the answer (its lock renewed meanwhile).
      second = spawnBridge(
        baseTestEnv({
          N8N_BASE_URL: receiver.url,
          WORKER_LOCK_MS: String(lockMs),
          WEBHOOK_TIMEOUT_MS: '20000',
          QUEUE_PREFIX: t.config.redis.queuePrefix,
          DATABASE_URL: t.db.url,
          APP_ROLE: 'worker',
          DB_MIGRATIONS_RUN: 'false',
        }),
      );
      const queue = t.app.get(WebhookQueueService).queue;
      await waitFor(async () => (await queue.getWorkers()).length >= 2, { timeoutMs: 40_000, what: 'second worker connected' });
      expect(receiver.requests).toHaveLength(1);
      const [worker] = stack.workers;
      worker!.kill('SIGKILL');
      await new Promise((resolve) => worker!.once('exit', resolve));
      const killedAt = Date.now();
      const [, again] = await receiver.waitForCount(() => true, 2, 30_000);
      expect(again!.headers['x-webhook-id']).toBe(id);
      expect(again!.headers['x-webhook-attempt']).toBe('2');
      // The lock expires within lockMs and the next stall check (every lockMs / 2) re-runs the job.
      expect(again!.receivedAt - killedAt).toBeLessThan(lockMs * 1.5 + 1000);
      await waitFor(async () => (await row(t, id))?.status === 'sent' || undefined, { what: 'recorded' });
      expect(await row(t, id)).toEqual({ status: 'sent', attempts: 2 });
      expect(await history(t, id)).toEqual([
        { attempt: 1, outcome: 'interrupted' },
        { attempt: 2, outcome: 'sent' },
      ]);
      const logs = await t.dataSource.query<{ attempt: number; outcome: string }[]>(
        `SELECT attempt, outcome FROM webhook_logs WHERE delivery_id = $1 ORDER BY attempt`,
        [id],
      );
      expect(logs).toEqual([
        { attempt: 1, outcome: 'interrupted' },
        { attempt: 2, outcome: 'sent' },
      ]);
    } finally {
      if (second) await stopBridge(second);
      await stack.stop();
    }
  }, 120_000);
});
