import { randomUUID } from 'node:crypto';
import { PreparedStatement } from '../src/database/prepared-statement';
import { DeliveryRepository } from '../src/outbox/delivery.repository';
import { startTestApp, TestApp } from './support/test-app';

const preparedOn = async (query: (sql: string) => Promise<{ name: string; statement: string }[]>) =>
  new Map((await query(`SELECT name, statement FROM pg_prepared_statements`)).map((r) => [r.name, r.statement]));

/**
 * The statements of the hot path are named prepared statements: a connection parses and plans
 * each once, later calls send only the name and the parameters.
 */
describe('prepared statements (real Postgres)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ APP_ROLE: 'api', N8N_BASE_URL: 'http://127.0.0.1:9' });
  });
  afterAll(() => t.close());

  it('records an event through a statement its connection keeps prepared, and reuses it on the next call', async () => {
    const runner = t.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const event = () => ({
        id: randomUUID(),
        eventType: 'lead_scraped' as const,
        priority: 0,
        entityType: 'lead',
        entityId: randomUUID(),
        payload: { n: 1 },
        maxAttempts: 4,
        createdAt: new Date(),
      });
      const repository = t.app.get(DeliveryRepository);
      await runner.startTransaction();
      const first = await repository.recordEvents([event()], runner.manager);
      const second = await repository.recordEvents([event(), event()], runner.manager);
      await runner.rollbackTransaction();

      expect(first).toHaveLength(1);
      expect(second).toHaveLength(2);
      // Prepared on the connection, and still there after the rollback (it belongs to the session).
      const prepared = await preparedOn((sql) => runner.query(sql));
      expect(prepared.get('delivery_record_events')).toContain('INSERT INTO webhook_queue');
    } finally {
      await runner.release();
    }
  });

  it('refuses a second text under a name already taken, and takes the same text again', () => {
    const name = `spec_${randomUUID().slice(0, 8)}`;
    new PreparedStatement(name, 'SELECT $1::int + 1 AS n');
    expect(() => new PreparedStatement(name, 'SELECT $1::int + 1 AS n')).not.toThrow();
    expect(() => new PreparedStatement(name, 'SELECT $1::int + 2 AS n')).toThrow(/defined twice with different texts/);
  });

  it('answers with its parameters, the same on a connection that already has it', async () => {
    const statement = new PreparedStatement(`spec_add_${randomUUID().slice(0, 8)}`, 'SELECT $1::int + 1 AS n');
    const runner = t.dataSource.createQueryRunner();
    try {
      expect(await statement.run(runner.manager, [1])).toEqual([{ n: 2 }]);
      expect(await statement.run(runner.manager, [41])).toEqual([{ n: 42 }]);
      expect((await preparedOn((sql) => runner.query(sql))).get(statement.name)).toBe('SELECT $1::int + 1 AS n');
    } finally {
      await runner.release();
    }
  });
});
