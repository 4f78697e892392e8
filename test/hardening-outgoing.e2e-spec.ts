import { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, createServer as createTcpServer, Server as TcpServer, Socket } from 'node:net';
import { AuditLogService } from '../src/audit/audit-log.service';
import { AttemptRecord, DeliveryRecorderService } from '../src/delivery/delivery-recorder.service';
import { WebhookQueueService } from '../src/queue/webhook-queue.service';
import { EventInput } from '../src/events/event-envelope';
import { TriggerService } from '../src/triggers/trigger.service';
import { spawnBridge, startApiWithWorkers } from './support/bridge-process';
import { CALLBACKS, postSigned } from './support/callbacks';
import { TcpProxy } from './support/tcp-proxy';
import { baseTestEnv, startTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

/** The body of the answer that used to stop every outgoing delivery: NUL and bytes that are not UTF-8. */
const HOSTILE_BODY = Buffer.from([0x61, 0x62, 0x00, 0x63, 0x64, 0xff, 0xfe, 0x00, 0x78, 0x79, 0x7a]); // ab\0cd\xff\xfe\0xyz
const R = '\uFFFD';
const SANITIZED_BODY = `ab${R}cd${R}${R}${R}xyz`;
/** How long a worker process may take to exit after SIGTERM (the recorder gives up writing after 10 s). */
const EXIT_BOUND_MS = 15_000;

/**
 * A loopback receiver whose answers no well-behaved server would send: raw bytes, a body that
 * keeps streaming, a response held until the test releases it. The path chooses the behaviour;
 * anything else gets a healthy 200.
 */
class HostileReceiver {
  readonly hits: { path: string; id: string; attempt: string; at: number }[] = [];
  private server?: Server;
  private readonly open = new Set<ServerResponse>();
  private held: (() => void)[] = [];

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  idsAt(path: string): string[] {
    return this.hits.filter((h) => h.path === path).map((h) => h.id);
  }

  count(id: string): number {
    return this.hits.filter((h) => h.id === id).length;
  }

  /** Answers every request held at /held with a 200. */
  release(): void {
    for (const answer of this.held.splice(0)) answer();
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    req.on('end', () => {
      const path = req.url ?? '';
      this.hits.push({ path, id: String(req.headers['x-webhook-id']), attempt: String(req.headers['x-webhook-attempt']), at: Date.now() });
      if (path === '/bad-body') {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(HOSTILE_BODY);
      } else if (path === '/slow-ok' || path === '/slow-400') this.trickle(res, path === '/slow-ok' ? 200 : 400);
      else if (path === '/held') this.held.push(() => res.writeHead(200).end('{"ok":true}'));
      else if (path === '/big')
        res.writeHead(200, { 'content-type': 'text/plain' }).end('é'.repeat(10_000)); // 20,000 bytes
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  }

  /** Sends the status line and headers at once, then one byte every 250 ms for 4 s. */
  private trickle(res: ServerResponse, status: number): void {
    this.open.add(res);
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.flushHeaders();
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed || ++sent > 16) {
        clearInterval(timer);
        this.open.delete(res);
        res.end();
        return;
      }
      res.write('.');
    }, 250);
    res.on('close', () => clearInterval(timer));
  }
}

/** Answers every request with a status line and a header value holding a NUL byte (Node's http server cannot send one). */
class NulHeaderReceiver {
  private server?: TcpServer;
  private readonly sockets = new Set<Socket>();

  async start(): Promise<this> {
    this.server = createTcpServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      socket.once('data', () =>
        socket.end(
          Buffer.concat([
            Buffer.from('HTTP/1.1 400 Bad Request\r\nX-Note: a'),
            Buffer.from([0]),
            Buffer.from('b\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbad'),
          ]),
        ),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

interface RowState {
  id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  last_status_code: number | null;
}
interface HistoryRow {
  delivery_id: string;
  attempt: number;
  outcome: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}
interface LogRow {
  delivery_id: string;
  outcome: string;
  response_status: number | null;
  response_body: string | null;
  reason: string | null;
  request_headers: Record<string, string>;
}

const rows = async (t: Pick<TestApp, 'dataSource'>, ids: string[]) =>
  await t.dataSource.query<RowState[]>(
    `SELECT id, status, attempts, last_error, last_status_code FROM webhook_queue WHERE id = ANY($1::uuid[])`,
    [ids],
  );
const historyOf = async (t: Pick<TestApp, 'dataSource'>, ids: string[]) =>
  await t.dataSource.query<HistoryRow[]>(
    `SELECT delivery_id, attempt, outcome, status_code, error, duration_ms FROM webhook_retry_history WHERE delivery_id = ANY($1::uuid[]) ORDER BY id`,
    [ids],
  );
const logsOf = async (t: Pick<TestApp, 'dataSource'>, ids: string[]) =>
  await t.dataSource.query<LogRow[]>(
    `SELECT delivery_id, outcome, response_status, response_body, reason, request_headers FROM webhook_logs WHERE direction = 'outgoing' AND delivery_id = ANY($1::text[]) ORDER BY created_at`,
    [ids],
  );
const allIn = async (t: Pick<TestApp, 'dataSource'>, ids: string[], statuses: string[]) => {
  const found = await rows(t, ids);
  return found.length === ids.length && found.every((r) => statuses.includes(r.status));
};

const healthy = (n: number, tag: string): EventInput[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'lead_scraped', entity: { type: 'test', id: `${tag}-${i}` }, data: { i } }));
const hostile = (tag: string): EventInput => ({ type: 'email_failed', entity: { type: 'test', id: `${tag}-bad` }, data: {} });

/** Sends SIGTERM and reports how the process ended: graceful means it exited by itself (Nest re-raises the SIGTERM it handled, or exits 0). */
function terminate(
  child: ChildProcess,
  boundMs: number,
): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null; killed: boolean }> {
  const started = Date.now();
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ ms: 0, code: child.exitCode, signal: child.signalCode, killed: false });
  return new Promise((resolve) => {
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, boundMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ ms: Date.now() - started, code, signal, killed });
    });
    child.kill('SIGTERM');
  });
}

const graceful = (exit: { code: number | null; signal: NodeJS.Signals | null; killed: boolean }) =>
  !exit.killed && (exit.code === 0 || (exit.code === null && exit.signal === 'SIGTERM'));

describe('hardening: nothing a receiver sends stops outgoing delivery (e2e)', () => {
  const receiver = new HostileReceiver();
  const nulHeader = new NulHeaderReceiver();
  const routes = () => ({
    N8N_BASE_URL: receiver.url,
    N8N_WEBHOOK_URL_EMAIL_FAILED: `${receiver.url}/bad-body`,
    N8N_WEBHOOK_URL_VIDEO_FAILED: `${nulHeader.url}/nul-header`,
    N8N_WEBHOOK_URL_DEMO_COMPLETED: `${receiver.url}/slow-ok`,
    N8N_WEBHOOK_URL_DEMO_FAILED: `${receiver.url}/slow-400`,
    N8N_WEBHOOK_URL_APPROVAL_REQUESTED: `${receiver.url}/held`,
    N8N_WEBHOOK_URL_VIDEO_COMPLETED: `${receiver.url}/big`,
    WEBHOOK_RETRY_DELAYS_MS: '100,100',
    OUTBOX_RELAY_INTERVAL_MS: '200',
  });
  beforeAll(async () => {
    await Promise.all([receiver.start(), nulHeader.start()]);
  });
  afterAll(async () => {
    await Promise.all([receiver.stop(), nulHeader.stop()]);
  });

  describe('in one process', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ ...routes(), WEBHOOK_TIMEOUT_MS: '1000', WEBHOOK_CONCURRENCY: '20' });
    });
    afterAll(() => (t as TestApp | undefined)?.close());

    it('a 400 whose body holds NUL and invalid UTF-8 fails alone, sanitized; every healthy delivery around it is sent and audited', async () => {
      const tag = randomUUID();
      const envelopes = await t.app.get(TriggerService).emitMany([hostile(tag), ...healthy(60, tag)]);
      const [bad, ...good] = envelopes.map((e) => e.id) as [string, ...string[]];

      await waitFor(() => allIn(t, good, ['sent']), { timeoutMs: 20000, what: 'all 60 healthy deliveries sent' });
      await waitFor(() => allIn(t, [bad], ['failed']), { what: 'the hostile one failed' });

      const expectedError = `HTTP 400: ${SANITIZED_BODY}`;
      expect(await rows(t, [bad])).toEqual([{ id: bad, status: 'failed', attempts: 1, last_error: expectedError, last_status_code: 400 }]);
      expect(await historyOf(t, [bad])).toMatchObject([{ attempt: 1, outcome: 'failed', status_code: 400, error: expectedError }]);
      expect(await logsOf(t, [bad])).toMatchObject([
        { outcome: 'failed', response_status: 400, response_body: SANITIZED_BODY, reason: expectedError },
      ]);

      const history = await historyOf(t, good);
      expect(history).toHaveLength(good.length);
      expect(history.every((h) => h.outcome === 'sent' && h.status_code === 200 && h.attempt === 1)).toBe(true);
      const logs = await logsOf(t, good);
      expect(new Set(logs.map((l) => l.delivery_id))).toEqual(new Set(good));
      expect(logs.every((l) => l.outcome === 'sent' && l.response_body === '{"ok":true}')).toBe(true);
    });

    it('a NUL in a response header is a protocol error: retried, then failed with a storable error; nothing else waits', async () => {
      const tag = randomUUID();
      const envelopes = await t.app
        .get(TriggerService)
        .emitMany([{ type: 'video_failed', entity: { type: 'test', id: `${tag}-nul` }, data: {} }, ...healthy(20, tag)]);
      const [bad, ...good] = envelopes.map((e) => e.id) as [string, ...string[]];
      await waitFor(() => allIn(t, good, ['sent']), { what: 'healthy deliveries sent' });
      await waitFor(() => allIn(t, [bad], ['failed']), { what: 'the NUL-header delivery failed' });
      const history = await historyOf(t, [bad]);
      expect(history.map((h) => h.outcome)).toEqual(['retrying', 'retrying', 'failed']);
      expect(history.every((h) => h.status_code === null && /^network error/.test(h.error ?? '') && !h.error!.includes('\u0000'))).toBe(
        true,
      );
    });

    it('a 2xx whose body streams for longer than WEBHOOK_TIMEOUT_MS is sent after one attempt; a slow 400 is a 400', async () => {
      const triggers = t.app.get(TriggerService);
      const ok = (await triggers.emit('demo_completed', { entity: { type: 'test', id: randomUUID() }, data: {} }))!.id;
      const refused = (await triggers.emit('demo_failed', { entity: { type: 'test', id: randomUUID() }, data: {} }))!.id;
      await waitFor(() => allIn(t, [ok], ['sent']), { what: 'slow 2xx sent' });
      await waitFor(() => allIn(t, [refused], ['failed']), { what: 'slow 400 failed' });

      expect(await rows(t, [ok])).toMatchObject([{ status: 'sent', attempts: 1, last_status_code: 200, last_error: null }]);
      const [sent] = await historyOf(t, [ok]);
      expect(sent).toMatchObject({ attempt: 1, outcome: 'sent', status_code: 200, error: null });
      // The body was read for a bounded time only, well before the request's own timeout would have counted.
      expect(sent!.duration_ms).toBeLessThan(1000 + 500);
      const [okLog] = await logsOf(t, [ok]);
      expect(okLog!.response_body).toMatch(/^\.*…\[cut: /);

      expect(await rows(t, [refused])).toMatchObject([{ status: 'failed', attempts: 1, last_status_code: 400 }]);
      expect((await historyOf(t, [refused])).map((h) => [h.outcome, h.status_code])).toEqual([['failed', 400]]);
      expect(receiver.count(ok)).toBe(1);
      expect(receiver.count(refused)).toBe(1);
    });

    it('keeps the first 8 KB of a large answer, marked as cut', async () => {
      const id = (await t.app.get(TriggerService).emit('video_completed', { entity: { type: 'test', id: randomUUID() }, data: {} }))!.id;
      await waitFor(() => allIn(t, [id], ['sent']), { what: 'large answer sent' });
      const [log] = await logsOf(t, [id]);
      // 8192 bytes of two-byte characters: 4096 of them, none cut in half.
      expect(log!.response_body).toBe(`${'é'.repeat(4096)}…[cut: 20000 bytes, the first 8192 kept]`);
    });

    it('a batch holding rows Postgres refuses even sanitized: the others land, a refused row lands reduced or is logged, nothing loops', async () => {
      const ids = Array.from({ length: 30 }, () => randomUUID());
      const overflow = randomUUID();
      const dirty = randomUUID();
      await t.dataSource.query(
        `INSERT INTO webhook_queue (id, event_id, event_type, priority, entity_type, entity_id, payload, target_url, status, max_attempts)
          SELECT id, id, 'lead_scraped', 0, 'test', id::text, '{}'::jsonb, 'http://receiver.invalid/', 'cancelled', 3 FROM unnest($1::uuid[]) AS id`,
        [[...ids, overflow, dirty]],
      );
      const missing = randomUUID(); // no webhook_queue row: its history row breaks the foreign key
      const record = (id: string, over: Partial<AttemptRecord> = {}): AttemptRecord => ({
        id,
        attempt: 1,
        status: 'sent',
        statusCode: 200,
        error: null,
        durationMs: 12,
        scheduledDelayMs: null,
        targetUrl: 'http://receiver.invalid/',
        eventType: 'lead_scraped',
        entityType: 'test',
        entityId: id,
        requestHeaders: { 'Content-Type': 'application/json' },
        requestBody: '{}',
        responseBody: '{"ok":true}',
        ...over,
      });
      const recorder = t.app.get(DeliveryRecorderService);
      const all = [
        ...ids.slice(0, 15).map((id) => record(id)),
        record(overflow, { attempt: 2 ** 31, status: 'failed', statusCode: 400, error: 'HTTP 400: refused' }),
        record(missing),
        record(dirty, {
          status: 'failed',
          statusCode: 400,
          error: 'HTTP 400: a\u0000b\uD800',
          responseBody: 'x\u0000y',
          requestHeaders: { 'X-Odd\u0000': 'v\u0000\uDC00' },
        }),
        ...ids.slice(15).map((id) => record(id)),
      ];
      const started = Date.now();
      await Promise.all(all.map((r) => recorder.record(r)));
      expect(Date.now() - started).toBeLessThan(10000);

      expect(await allIn(t, ids, ['sent'])).toBe(true);
      expect(await historyOf(t, ids)).toHaveLength(30);
      expect(await logsOf(t, ids)).toHaveLength(30);

      // The dirty row is written whole, cleaned.
      expect(await rows(t, [dirty])).toMatchObject([{ status: 'failed', last_error: `HTTP 400: a${R}b${R}` }]);
      const [dirtyLog] = await logsOf(t, [dirty]);
      expect(dirtyLog).toMatchObject({ response_body: `x${R}y`, request_headers: { [`X-Odd${R}`]: `v${R}${R}` } });

      // The row Postgres refuses (attempt out of integer range) lands reduced: ids, status, outcome, no texts.
      const [reduced] = await rows(t, [overflow]);
      expect(reduced).toMatchObject({ status: 'failed', last_status_code: 400 });
      expect(reduced!.last_error).toMatch(/^\[not stored: /);
      const [reducedHistory] = await historyOf(t, [overflow]);
      expect(reducedHistory).toMatchObject({ outcome: 'failed', status_code: 400 });
      const [reducedLog] = await logsOf(t, [overflow]);
      expect(reducedLog).toMatchObject({ outcome: 'failed', response_body: null, request_headers: {} });

      // The row that cannot be written at all (its delivery does not exist) is given up, not retried.
      expect(await historyOf(t, [missing])).toHaveLength(0);

      // And the recorder still writes afterwards.
      const later = randomUUID();
      await t.dataSource.query(
        `INSERT INTO webhook_queue (id, event_id, event_type, priority, entity_type, entity_id, payload, target_url, status, max_attempts) VALUES ($1, $1, 'lead_scraped', 0, 'test', 'x', '{}', 'http://receiver.invalid/', 'cancelled', 3)`,
        [later],
      );
      await recorder.record(record(later));
      expect(await allIn(t, [later], ['sent'])).toBe(true);
    });

    it('audit rows: NUL in any field and a row Postgres refuses cost nothing to the rows written with them', async () => {
      const audit = t.app.get(AuditLogService);
      const tag = `/test/hardening-${randomUUID()}`;
      const entry = (i: number) => ({
        direction: 'incoming' as const,
        endpoint: `${tag}/${i}`,
        outcome: 'accepted',
        responseStatus: 200,
        requestBody: '{}',
      });
      await Promise.all([
        ...Array.from({ length: 10 }, (_, i) => audit.recordSafely(entry(i))),
        audit.recordSafely({
          ...entry(100),
          outcome: 'invalid',
          reason: 'validation_failed: bad\u0000key should not exist',
          deliveryId: 'id\u0000',
          requestHeaders: { 'x-\u0000': 'v\u0000\uD800' },
          requestBody: 'a\u0000',
        }),
        audit.recordSafely({ ...entry(101), outcome: 'refused', attempt: 2 ** 31, reason: 'secret reason' }),
        ...Array.from({ length: 10 }, (_, i) => audit.recordSafely(entry(10 + i))),
      ]);
      const logged = await t.dataSource.query<
        {
          endpoint: string;
          outcome: string;
          reason: string | null;
          delivery_id: string | null;
          request_headers: Record<string, string>;
          request_body: string | null;
          attempt: number | null;
        }[]
      >(`SELECT endpoint, outcome, reason, delivery_id, request_headers, request_body, attempt FROM webhook_logs WHERE endpoint LIKE $1`, [
        `${tag}/%`,
      ]);
      const by = new Map(logged.map((l) => [l.endpoint, l]));
      for (let i = 0; i < 20; i++) expect(by.get(`${tag}/${i}`)).toMatchObject({ outcome: 'accepted' });
      expect(by.get(`${tag}/100`)).toMatchObject({
        outcome: 'invalid',
        reason: `validation_failed: bad${R}key should not exist`,
        delivery_id: `id${R}`,
        request_headers: { [`x-${R}`]: `v${R}${R}` },
        request_body: `a${R}`,
      });
      const reduced = by.get(`${tag}/101`);
      expect(reduced).toMatchObject({ outcome: 'refused', attempt: null, request_body: null });
      expect(reduced?.reason).toMatch(/^\[not stored: /);
      expect(logged).toHaveLength(22);
    });

    it('a signed callback with an unknown key holding NUL gets its 400 and its audit row', async () => {
      const executionId = `exec-${randomUUID()}`;
      const raw = `{"execution_id":"${executionId}","workflow_id":"wf","status":"running","bad\\u0000key":1}`;
      const res = await postSigned(t.http, `${CALLBACKS}/workflow-status`, raw);
      expect(res.status).toBe(400);
      const [row] = await waitFor(
        async () => {
          const found = await t.dataSource.query<{ outcome: string; reason: string }[]>(
            `SELECT outcome, reason, request_body FROM webhook_logs WHERE direction = 'incoming' AND request_body LIKE $1`,
            [`%${executionId}%`],
          );
          return found.length ? found : undefined;
        },
        { what: 'audit row of the refused callback' },
      );
      // Refused by the JSON reader or by validation, depending on which sees the key first: either way the row is there, storable.
      expect(row!.outcome).toBe('invalid');
      expect(row!.reason).toMatch(/bad.{1,8}key/);
      expect(row!.reason).not.toContain('\u0000');
    });
  });

  describe('a worker process', () => {
    it('exits on SIGTERM within the bound after a hostile receiver, and every delivery ends sent or failed', async () => {
      const stack = await startApiWithWorkers({ ...routes(), WEBHOOK_TIMEOUT_MS: '2000' }, { WEBHOOK_CONCURRENCY: '20' }, 1);
      const { t } = stack;
      let second: ReturnType<typeof spawnBridge> | undefined;
      try {
        const triggers = t.app.get(TriggerService);
        const first = (await triggers.emitMany([hostile('w1'), ...healthy(40, 'w1')])).map((e) => e.id);
        await waitFor(() => allIn(t, first.slice(1), ['sent']), {
          timeoutMs: 20000,
          what: 'healthy deliveries sent by the worker process',
        });
        await waitFor(() => allIn(t, first.slice(0, 1), ['failed']), { what: 'hostile delivery failed' });

        // The same again, and SIGTERM while the worker is busy with it.
        const burst = (await triggers.emitMany([hostile('w2'), ...healthy(40, 'w2')])).map((e) => e.id);
        await waitFor(() => receiver.idsAt('/bad-body').includes(burst[0]!), { what: 'hostile answer received by the worker' });
        const exit = await terminate(stack.workers[0]!, EXIT_BOUND_MS);
        expect({ ...exit, output: graceful(exit) ? '' : stack.workers[0]!.output() }).toMatchObject({ killed: false, output: '' });
        expect(graceful(exit)).toBe(true);
        expect(exit.ms).toBeLessThan(EXIT_BOUND_MS);

        // Whatever it had not finished, a new worker delivers.
        second = spawnBridge(
          baseTestEnv({
            ...routes(),
            WEBHOOK_TIMEOUT_MS: '2000',
            QUEUE_PREFIX: t.config.redis.queuePrefix,
            DATABASE_URL: t.db.url,
            APP_ROLE: 'worker',
            DB_MIGRATIONS_RUN: 'false',
          }),
        );
        await waitFor(() => allIn(t, burst.slice(1), ['sent']), { timeoutMs: 40000, what: 'second burst sent' });
        await waitFor(() => allIn(t, burst.slice(0, 1), ['failed']), { what: 'second hostile delivery failed' });
        expect((await rows(t, burst.slice(0, 1)))[0]!.last_error).toBe(`HTTP 400: ${SANITIZED_BODY}`);
      } finally {
        if (second) await terminate(second, EXIT_BOUND_MS);
        await stack.stop();
      }
    }, 120000);

    it('exits on SIGTERM within the bound while the database is unreachable; the unrecorded delivery is sent again afterwards', async () => {
      const proxy = await new TcpProxy('127.0.0.1', 5432).start();
      const stack = await startApiWithWorkers({ ...routes(), WEBHOOK_TIMEOUT_MS: '3000' }, {}, 0);
      const { t } = stack;
      const dbUrl = new URL(t.db.url);
      const viaProxy = `${dbUrl.protocol}//${dbUrl.username}${dbUrl.password ? `:${dbUrl.password}` : ''}@${proxy.address}${dbUrl.pathname}`;
      const env = baseTestEnv({
        ...routes(),
        WEBHOOK_TIMEOUT_MS: '3000',
        QUEUE_PREFIX: t.config.redis.queuePrefix,
        APP_ROLE: 'worker',
        DB_MIGRATIONS_RUN: 'false',
      });
      const first = spawnBridge({ ...env, DATABASE_URL: viaProxy });
      let second: ReturnType<typeof spawnBridge> | undefined;
      try {
        const queue = t.app.get(WebhookQueueService).queue;
        await waitFor(async () => (await queue.getWorkers()).length >= 1, { timeoutMs: 40000, what: 'worker connected' });
        const id = (await t.app.get(TriggerService).emit('approval_requested', { entity: { type: 'test', id: randomUUID() }, data: {} }))!
          .id;
        await waitFor(() => receiver.count(id) === 1, { what: 'delivery in flight' });

        // The database goes away while the receiver is answering: the attempt cannot be recorded.
        await proxy.cut();
        receiver.release();
        const exit = await terminate(first, EXIT_BOUND_MS);
        expect({ graceful: graceful(exit), output: graceful(exit) ? '' : first.output() }).toEqual({ graceful: true, output: '' });
        expect(exit.ms).toBeLessThan(EXIT_BOUND_MS);

        // The job was not completed: it went back to the queue, and another worker sends it again.
        expect(await queue.getJobState(id)).toMatch(/^(waiting|delayed|prioritized)$/);
        expect((await rows(t, [id]))[0]!.status).toBe('sending');
        await proxy.restore();
        second = spawnBridge({ ...env, DATABASE_URL: t.db.url });
        await waitFor(() => receiver.count(id) === 2, { timeoutMs: 40000, what: 'sent again by the second worker' });
        receiver.release();
        await waitFor(() => allIn(t, [id], ['sent']), { what: 'recorded as sent' });
        // Two requests reached the receiver, numbered 1 and 2; the first, answered but never
        // recorded, is audited as interrupted when the second claim finds it.
        expect(receiver.hits.filter((h) => h.id === id).map((h) => h.attempt)).toEqual(['1', '2']);
        expect(await historyOf(t, [id])).toMatchObject([
          { attempt: 1, outcome: 'interrupted', status_code: null },
          { attempt: 2, outcome: 'sent', status_code: 200 },
        ]);
        expect((await rows(t, [id]))[0]).toMatchObject({ status: 'sent', attempts: 2 });
      } finally {
        receiver.release();
        await Promise.all([terminate(first, EXIT_BOUND_MS), second ? terminate(second, EXIT_BOUND_MS) : undefined]);
        await stack.stop();
        await proxy.stop();
      }
    }, 120000);
  });
});
