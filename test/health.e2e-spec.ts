import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';

describe('health', () => {
  describe('with Postgres and Redis up', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(() => (t as TestApp | undefined)?.close());

    it('boots on an empty database and creates every table through migrations', async () => {
      const rows: { table_name: string }[] = await t.dataSource.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
      );
      expect(rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining([
          'leads',
          'demos',
          'videos',
          'outreach_emails',
          'workflow_executions',
          'webhook_queue',
          'webhook_retry_history',
          'webhook_logs',
          'migrations',
        ]),
      );
    });

    it('GET /health/live answers 200', async () => {
      const res = await request(t.http).get('/health/live').expect(200);
      expect(res.body.status).toBe('ok');
    });

    it('GET /health/ready reports both checks up with their latency', async () => {
      const res = await request(t.http).get('/health/ready').expect(200);
      expect(res.body.status).toBe('ok');
      expect(res.body.info.database.status).toBe('up');
      expect(res.body.info.redis.status).toBe('up');
      expect(typeof res.body.info.database.latency_ms).toBe('number');
      expect(typeof res.body.info.redis.latency_ms).toBe('number');
    });
  });

  describe('with Redis unreachable', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:1' });
    });
    afterAll(() => (t as TestApp | undefined)?.close());

    it('GET /health/ready answers 503 naming redis as down, database still up', async () => {
      const res = await request(t.http).get('/health/ready').expect(503);
      expect(res.body.status).toBe('error');
      expect(res.body.error.redis.status).toBe('down');
      expect(res.body.info.database.status).toBe('up');
    });

    it('GET /health/live still answers 200', async () => {
      await request(t.http).get('/health/live').expect(200);
    });
  });
});
