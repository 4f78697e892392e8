import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../migrations';
import { PartitionedAudit1796320000000 } from '../migrations/1796320000000-PartitionedAudit';
import { AuditPartitionRepository, partitionName } from '../src/audit/audit-partition.repository';
import { RetryHistoryRepository } from '../src/audit/retry-history.repository';
import { WebhookLogRepository } from '../src/audit/webhook-log.repository';
import { PARTITION_DAYS_AHEAD } from '../src/operations/retention/audit-partitions.service';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { startTestApp, TestApp, TEST_ADMIN_TOKEN } from './support/test-app';

const DAY_MS = 86_400_000;
/** UTC midnight `n` days before today. */
const dayAgo = (n: number) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - n * DAY_MS);
};
/** Noon of the UTC day `n` days before today: inside that day's partition, whatever the hour now. */
const noonAgo = (n: number) => new Date(dayAgo(n).getTime() + DAY_MS / 2);

const partitionsOf = async (db: { query: DataSource['query'] }, table: string): Promise<string[]> =>
  (
    await db.query<{ name: string }[]>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1`,
      [table],
    )
  ).map((r) => r.name);

async function insertDelivery(db: { query: DataSource['query'] }, status: string, updatedAt: Date): Promise<string> {
  const id = randomUUID();
  await db.query(
    `INSERT INTO webhook_queue (id, event_id, event_type, priority, entity_type, entity_id, payload, target_url, status, attempts, max_attempts, created_at, updated_at)
      VALUES ($1::uuid, $1::uuid, 'lead_scraped', 0, 'test', $1::text, '{}', 'http://127.0.0.1:9/x', $2, 1, 3, $3, $3)`,
    [id, status, updatedAt],
  );
  return id;
}

describe('audit tables partitioned by day', () => {
  describe('the migration', () => {
    let db: TestDatabase;
    let converted: DataSource | undefined;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(async () => {
      if (converted?.isInitialized) await converted.destroy();
      await db.drop();
    });

    it('converts tables holding rows without losing any, one partition per day that has rows, and `down` converts back', async () => {
      const before = MIGRATIONS.filter((m) => m !== PartitionedAudit1796320000000);
      const old = new DataSource({ type: 'postgres', url: db.url, migrations: before, migrationsTransactionMode: 'each' });
      await old.initialize();
      await old.runMigrations();
      const deliveries: string[] = [];
      for (const age of [40, 3, 0]) {
        const id = await insertDelivery(old, 'sent', noonAgo(age));
        deliveries.push(id);
        await old.query(
          `INSERT INTO webhook_retry_history (delivery_id, attempt, outcome, duration_ms, created_at) VALUES ($1, 1, 'retrying', 5, $2), ($1, 2, 'sent', 5, $2)`,
          [id, noonAgo(age)],
        );
        await old.query(
          `INSERT INTO webhook_logs (direction, delivery_id, endpoint, outcome, attempt, created_at) VALUES ('outgoing', $1, 'http://x', 'sent', 2, $2)`,
          [id, noonAgo(age)],
        );
        await old.query(`INSERT INTO webhook_logs (direction, endpoint, outcome, created_at) VALUES ('incoming', '/cb', 'accepted', $1)`, [
          noonAgo(age),
        ]);
      }
      const snapshot = async (q: { query: DataSource['query'] }) => ({
        history: await q.query(`SELECT id::text, delivery_id, attempt, outcome, created_at FROM webhook_retry_history ORDER BY id`),
        logs: await q.query(`SELECT id, direction, delivery_id, attempt, created_at FROM webhook_logs ORDER BY id`),
      });
      const rows = await snapshot(old);
      expect(rows.history).toHaveLength(6);
      expect(rows.logs).toHaveLength(6);
      await old.destroy();

      const ds = new DataSource({ type: 'postgres', url: db.url, migrations: MIGRATIONS, migrationsTransactionMode: 'each' });
      converted = ds;
      await ds.initialize();
      await ds.runMigrations();
      expect(await snapshot(ds)).toEqual(rows);
      for (const table of ['webhook_logs', 'webhook_retry_history']) {
        const [{ kind }] = await ds.query(`SELECT relkind AS kind FROM pg_class WHERE oid = $1::regclass`, [table]);
        expect(kind).toBe('p');
        const partitions = await partitionsOf(ds, table);
        // The days holding rows, today and the days ahead, and the DEFAULT partition.
        for (const age of [40, 3]) expect(partitions).toContain(partitionName(table as 'webhook_logs', dayAgo(age)));
        for (let ahead = 0; ahead <= PARTITION_DAYS_AHEAD; ahead++)
          expect(partitions).toContain(partitionName(table as 'webhook_logs', dayAgo(-ahead)));
        expect(partitions).toContain(`${table}_default`);
        // No row ended up in the DEFAULT partition: each is in its day's.
        const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM "${table}_default"`);
        expect(n).toBe(0);
      }
      // Ids keep increasing after the conversion.
      await ds.query(`INSERT INTO webhook_retry_history (delivery_id, attempt, outcome, duration_ms) VALUES ($1, 3, 'sent', 5)`, [
        deliveries[2],
      ]);
      const [{ max }] = await ds.query(`SELECT max(id)::int AS max FROM webhook_retry_history`);
      expect(max).toBeGreaterThan(Math.max(...rows.history.map((r: { id: string }) => Number(r.id))));

      await ds.undoLastMigration({ transaction: 'each' });
      const [{ kind }] = await ds.query(`SELECT relkind AS kind FROM pg_class WHERE oid = 'webhook_logs'::regclass`);
      expect(kind).toBe('r');
      const back = await snapshot(ds);
      expect(back.logs).toEqual(rows.logs);
      expect(back.history).toHaveLength(7);
    });
  });

  describe('on a running app', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(() => (t as TestApp | undefined)?.close());

    const api = (path: string) => request(t.http).post(`/api/v1/webhooks/queue${path}`).set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`);
    /** Every plan node of an EXPLAIN (FORMAT JSON), flattened. */
    const planNodes = async (sql: string, params: unknown[]): Promise<Record<string, string>[]> => {
      const [{ 'QUERY PLAN': plan }] = await t.dataSource.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
      const nodes: Record<string, string>[] = [];
      const walk = (node: Record<string, unknown>) => {
        nodes.push(node as Record<string, string>);
        for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
      };
      walk(plan[0].Plan);
      return nodes;
    };

    it('has the partitions of today and the days ahead, and a DEFAULT partition, in both tables', async () => {
      for (const table of ['webhook_logs', 'webhook_retry_history'] as const) {
        const partitions = await partitionsOf(t.dataSource, table);
        for (let ahead = 0; ahead <= PARTITION_DAYS_AHEAD; ahead++) expect(partitions).toContain(partitionName(table, dayAgo(-ahead)));
        expect(partitions).toContain(`${table}_default`);
      }
    });

    it('creating a day that already has rows in the DEFAULT partition moves them into it', async () => {
      const partitions = t.app.get(AuditPartitionRepository);
      await t.dataSource.query(
        `INSERT INTO webhook_logs (direction, endpoint, outcome, created_at) VALUES ('incoming', '/moved', 'accepted', $1)`,
        [noonAgo(20)],
      );
      const [before] = await t.dataSource.query(`SELECT tableoid::regclass::text AS part FROM webhook_logs WHERE endpoint = '/moved'`);
      expect(before.part).toBe('webhook_logs_default');
      expect(await partitions.create('webhook_logs', dayAgo(20))).toBe(true);
      expect(await partitions.create('webhook_logs', dayAgo(20))).toBe(false);
      const [after] = await t.dataSource.query(`SELECT tableoid::regclass::text AS part FROM webhook_logs WHERE endpoint = '/moved'`);
      expect(after.part).toBe(partitionName('webhook_logs', dayAgo(20)));
    });

    it('retention drops whole days older than the cutoff, keeps what cleanup keeps, and newer days untouched', async () => {
      const partitions = t.app.get(AuditPartitionRepository);
      for (const age of [40, 10])
        for (const table of ['webhook_logs', 'webhook_retry_history'] as const) await partitions.create(table, dayAgo(age));
      /** A delivery with two attempts (history and outgoing logs) at noon `age` days ago. */
      const seed = async (status: string, age: number, attemptsAge = age) => {
        const id = await insertDelivery(t.dataSource, status, noonAgo(age));
        await t.dataSource.query(
          `INSERT INTO webhook_retry_history (delivery_id, attempt, outcome, duration_ms, created_at) VALUES ($1, 1, 'retrying', 5, $2), ($1, 2, $3, 5, $2)`,
          [id, noonAgo(attemptsAge), status],
        );
        await t.dataSource.query(
          `INSERT INTO webhook_logs (direction, delivery_id, endpoint, outcome, attempt, created_at)
            VALUES ('outgoing', $1, 'http://x', 'retrying', 1, $2), ('outgoing', $1, 'http://x', $3, 2, $2)`,
          [id, noonAgo(attemptsAge), status],
        );
        return id;
      };
      const sentOld = await seed('sent', 40);
      const failedOld = await seed('failed', 40);
      const sentRecently = await seed('sent', 5, 40); // attempts 40 days ago, last change 5 days ago: kept
      const sentTenDays = await seed('sent', 10);
      const orphan = randomUUID();
      await t.dataSource.query(
        `INSERT INTO webhook_logs (direction, delivery_id, endpoint, outcome, attempt, created_at) VALUES ('outgoing', $1, 'http://x', 'sent', 1, $2)`,
        [orphan, noonAgo(40)],
      );
      await t.dataSource.query(
        `INSERT INTO webhook_logs (direction, endpoint, outcome, created_at) SELECT 'incoming', '/cb', 'accepted', $2 FROM generate_series(1, $1)`,
        [25, noonAgo(40)],
      );
      await t.dataSource.query(
        `INSERT INTO webhook_logs (direction, endpoint, outcome, created_at) VALUES ('incoming', '/cb', 'accepted', $1)`,
        [noonAgo(10)],
      );
      const old = { logs: partitionName('webhook_logs', dayAgo(40)), history: partitionName('webhook_retry_history', dayAgo(40)) };
      expect(await partitionsOf(t.dataSource, 'webhook_logs')).toContain(old.logs);

      const res = await api('/cleanup').send({ older_than_days: 30 }).expect(200);
      // The old sent delivery went (with its 2 attempts and 2 logs), the 25 incoming rows too; nothing else.
      expect(res.body).toMatchObject({ events: 1, history: 2, logs: 2, incoming_logs: 25 });
      expect(await partitionsOf(t.dataSource, 'webhook_logs')).not.toContain(old.logs);
      expect(await partitionsOf(t.dataSource, 'webhook_retry_history')).not.toContain(old.history);
      const [{ n: stillThere }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM pg_class WHERE relname = ANY($1)`, [
        Object.values(old),
      ]);
      expect(stillThere).toBe(0);

      const where = async (sql: string, params: unknown[]) =>
        (await t.dataSource.query<{ part: string }[]>(sql, params)).map((r) => r.part).sort();
      const historyOf = (id: string) =>
        where(`SELECT tableoid::regclass::text AS part FROM webhook_retry_history WHERE delivery_id = $1`, [id]);
      const logsOf = (id: string) => where(`SELECT tableoid::regclass::text AS part FROM webhook_logs WHERE delivery_id = $1`, [id]);
      expect(await historyOf(sentOld)).toEqual([]);
      expect(await logsOf(sentOld)).toEqual([]);
      // Kept rows of old days now live in the DEFAULT partition.
      for (const id of [failedOld, sentRecently]) {
        expect(await historyOf(id)).toEqual(['webhook_retry_history_default', 'webhook_retry_history_default']);
        expect(await logsOf(id)).toEqual(['webhook_logs_default', 'webhook_logs_default']);
      }
      expect(await logsOf(orphan)).toEqual(['webhook_logs_default']);
      // The 10-day-old day is untouched.
      const tenDays = partitionName('webhook_retry_history', dayAgo(10));
      expect(await historyOf(sentTenDays)).toEqual([tenDays, tenDays]);
      const [{ n: incomingLeft }] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM webhook_logs WHERE direction = 'incoming' AND endpoint = '/cb'`,
      );
      expect(incomingLeft).toBe(1);
    });

    it('keeps one history and one log row per attempt: the same batch written again, or the attempt written later', async () => {
      const history = t.app.get(RetryHistoryRepository);
      const logs = t.app.get(WebhookLogRepository);
      const id = await insertDelivery(t.dataSource, 'sending', new Date());
      const at = new Date();
      const attempt = {
        deliveryId: id,
        attempt: 1,
        outcome: 'retrying',
        statusCode: 503,
        error: 'HTTP 503',
        durationMs: 4,
        scheduledDelayMs: 100,
      };
      const log = { direction: 'outgoing' as const, deliveryId: id, endpoint: 'http://x', outcome: 'retrying', attempt: 1 };
      for (const createdAt of [at, at, new Date(at.getTime() + 5000)])
        await t.dataSource.transaction(async (manager) => {
          await history.insertMany([{ ...attempt, createdAt }], manager);
          await logs.insertMany([{ ...log, createdAt }], manager);
        });
      const [{ h, l }] = await t.dataSource.query(
        `SELECT (SELECT count(*) FROM webhook_retry_history WHERE delivery_id = $1)::int AS h,
                (SELECT count(*) FROM webhook_logs WHERE delivery_id = $1::text)::int AS l`,
        [id],
      );
      expect({ h, l }).toEqual({ h: 1, l: 1 });
    });

    describe('the operations queries use the indexes of the partitions they read', () => {
      let deliveryId: string;
      beforeAll(async () => {
        // Enough rows for the planner to prefer an index over reading a partition whole.
        const ids = await t.dataSource.query<{ id: string }[]>(
          `INSERT INTO webhook_queue (id, event_id, event_type, priority, entity_type, entity_id, payload, target_url, status, attempts, max_attempts)
            SELECT g, g, 'lead_scraped', 0, 'test', g::text, '{}', 'http://127.0.0.1:9/x', 'sent', 1, 3 FROM (SELECT gen_random_uuid() AS g FROM generate_series(1, 20000)) s
            RETURNING id`,
        );
        deliveryId = ids[0]!.id;
        await t.dataSource.query(
          `INSERT INTO webhook_retry_history (delivery_id, attempt, outcome, duration_ms) SELECT id, 1, 'sent', 5 FROM webhook_queue WHERE entity_type = 'test'`,
        );
        await t.dataSource.query(
          `INSERT INTO webhook_logs (direction, delivery_id, endpoint, outcome, attempt, request_body)
            SELECT 'outgoing', id::text, 'http://x', 'sent', 1, repeat('x', 200) FROM webhook_queue WHERE entity_type = 'test'`,
        );
        await t.dataSource.query(
          `INSERT INTO webhook_logs (direction, endpoint, outcome, request_body, created_at)
            SELECT 'incoming', '/cb', 'accepted', repeat('y', 200), now() - make_interval(secs => g) FROM generate_series(1, 20000) g`,
        );
        await t.dataSource.query(`ANALYZE webhook_queue, webhook_retry_history, webhook_logs`);
      });

      const today = () => partitionName('webhook_logs', dayAgo(0));
      const scansOf = (nodes: Record<string, string>[], relation: string) => nodes.filter((n) => n['Relation Name'] === relation);

      it('the attempts of a delivery (history and outgoing logs): an index scan of today’s partition', async () => {
        const history = await planNodes(
          `SELECT attempt, outcome, status_code, error, duration_ms, scheduled_delay_ms, created_at
            FROM webhook_retry_history WHERE delivery_id = $1 ORDER BY created_at, id`,
          [deliveryId],
        );
        const [historyScan] = scansOf(history, partitionName('webhook_retry_history', dayAgo(0)));
        expect(historyScan?.['Node Type']).toMatch(/^(Index Scan|Index Only Scan|Bitmap Heap Scan)$/);
        expect(history.some((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === historyScan?.['Relation Name'])).toBe(false);

        const outgoing = await planNodes(
          `SELECT id, attempt, endpoint, request_headers, request_body, response_status, response_body, duration_ms, outcome, reason, created_at
            FROM webhook_logs WHERE direction = 'outgoing' AND delivery_id = $1 ORDER BY created_at, id`,
          [deliveryId],
        );
        const [logScan] = scansOf(outgoing, today());
        expect(logScan?.['Node Type']).toMatch(/^(Index Scan|Index Only Scan|Bitmap Heap Scan)$/);
        expect(outgoing.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === today())).toEqual([]);
      });

      it('the incoming log listing (direction, created_at range, newest first): index scan, partitions outside the range pruned', async () => {
        const since = new Date(Date.now() - 3600_000);
        const nodes = await planNodes(
          `SELECT id, endpoint, method, delivery_id, source_ip, request_headers, request_body, response_status, response_body, duration_ms,
              outcome, reason, created_at, created_at::text AS cursor_at
            FROM webhook_logs WHERE direction = 'incoming' AND created_at >= $1 ORDER BY created_at DESC, id DESC LIMIT 50`,
          [since],
        );
        const read = nodes.map((n) => n['Relation Name']).filter((r): r is string => typeof r === 'string');
        // Only the days the range covers (today, the days ahead, and DEFAULT, which can hold any day) are read…
        expect(read).not.toContain(partitionName('webhook_logs', dayAgo(10)));
        expect(read).not.toContain(partitionName('webhook_logs', dayAgo(20)));
        // …and today's through idx_webhook_logs_direction_created.
        const [scan] = scansOf(nodes, today());
        expect(scan?.['Node Type']).toMatch(/^(Index Scan|Index Only Scan|Bitmap Heap Scan)$/);
      });
    });
  });
});
