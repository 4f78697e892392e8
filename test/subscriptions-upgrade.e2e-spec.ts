import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../migrations';
import { Subscriptions1796300000000 } from '../migrations/1796300000000-Subscriptions';
import { DELIVERY_QUEUE, deliveryJobOptions } from '../src/queue/queue.constants';
import { BUILT_IN_SUBSCRIPTION_ID } from '../src/subscriptions/subscription.entity';
import { TestReceiver } from './support/receiver';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { deleteRedisPrefix, startTestApp, TestApp, TEST_REDIS_URL } from './support/test-app';
import { waitFor } from './support/wait';

const STATUSES = ['pending', 'queued', 'sending', 'retrying', 'sent', 'failed', 'cancelled'] as const;
const UNFINISHED = new Set(['pending', 'queued', 'sending', 'retrying']);

/**
 * Upgrading a running system: the schema before subscriptions holds rows in every status (and the
 * queued ones have their BullMQ jobs); the subscriptions migration runs, then the new code starts.
 * Every unfinished row is delivered with its id as X-Webhook-Id, finished rows stay as they were.
 */
describe('upgrade to subscriptions', () => {
  const receiver = new TestReceiver();
  let db: TestDatabase;
  let t: TestApp | undefined;
  const prefix = `test-upgrade-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    await receiver.start();
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.close();
    await db.drop();
    await deleteRedisPrefix(prefix);
    await receiver.stop();
  });

  it('rows in every status carry over: the unfinished ones are delivered once with their old ids, the finished ones untouched', async () => {
    const before = MIGRATIONS.filter((m) => m !== Subscriptions1796300000000);
    expect(before).toHaveLength(MIGRATIONS.length - 1);
    const old = new DataSource({ type: 'postgres', url: db.url, migrations: before, migrationsTransactionMode: 'each' });
    await old.initialize();
    await old.runMigrations();
    const rows = STATUSES.flatMap((status) => [0, 1].map(() => ({ id: randomUUID(), status })));
    for (const { id, status } of rows) {
      const payload = {
        id,
        event: 'lead_scraped',
        created_at: new Date().toISOString(),
        priority: 0,
        entity: { type: 'lead', id },
        data: {},
      };
      await old.query(
        `INSERT INTO webhook_queue (id, event_type, priority, entity_type, entity_id, payload, target_url, status, attempts, max_attempts, created_at, updated_at)
          VALUES ($1::uuid, 'lead_scraped', 0, 'lead', $1::text, $2, $3, $4, $5, 4, now() - interval '1 minute', now() - interval '1 minute')`,
        [id, JSON.stringify(payload), `${receiver.url}/webhook/lead-scraped`, status, status === 'retrying' ? 1 : 0],
      );
    }
    // The old code had queued jobs (job id = row id) for the queued rows.
    const queue = new Queue(DELIVERY_QUEUE, { connection: { url: TEST_REDIS_URL }, prefix });
    const queued = rows.filter((r) => r.status === 'queued');
    await queue.addBulk(queued.map((r) => ({ name: 'lead_scraped', data: { id: r.id }, opts: deliveryJobOptions(r.id, 0, 3) })));
    await queue.close();
    await old.destroy();

    // The new code starts: its migration runs first.
    t = await startTestApp({
      DATABASE_URL: db.url,
      QUEUE_PREFIX: prefix,
      N8N_BASE_URL: receiver.url,
      OUTBOX_RELAY_INTERVAL_MS: '200',
      WEBHOOK_RETRY_DELAYS_MS: '200,200,200',
    });
    const unfinished = rows.filter((r) => UNFINISHED.has(r.status)).map((r) => r.id);
    await waitFor(
      async () => {
        const [row] = await t!.dataSource.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM webhook_queue WHERE id = ANY($1::uuid[]) AND status = 'sent'`,
          [unfinished],
        );
        return row?.n === unfinished.length || undefined;
      },
      { timeoutMs: 30_000, what: 'every unfinished row sent' },
    );
    const after = await t.dataSource.query<{ id: string; event_id: string; subscription_id: string; status: string }[]>(
      `SELECT id, event_id, subscription_id, status FROM webhook_queue ORDER BY id`,
    );
    expect(after).toHaveLength(rows.length);
    for (const row of rows) {
      const now = after.find((a) => a.id === row.id)!;
      expect(now).toEqual({
        id: row.id,
        event_id: row.id,
        subscription_id: BUILT_IN_SUBSCRIPTION_ID,
        status: UNFINISHED.has(row.status) ? 'sent' : row.status,
      });
    }
    // Received once each, with the old id, and nothing else.
    const received = receiver.requests.map((r) => r.headers['x-webhook-id'] as string);
    expect([...new Set(received)].sort()).toEqual([...unfinished].sort());
    expect(received.length).toBe(unfinished.length);
  }, 60_000);
});
