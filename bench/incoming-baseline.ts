/**
 * The incoming ceiling for the signed `workflow-status` callback: a hand-written node:http server
 * doing the same work as the bridge's route, on a database migrated with the app's own migrations:
 * - the signature headers (timestamp within ±300 s, `sha256=<hex>`), then HMAC-SHA256 of
 *   `${timestamp}.${raw body}` compared in constant time (401 otherwise);
 * - the replay check: one Redis SET NX EX of the signature (409 when it was seen);
 * - JSON parsing and checks of the fields (400);
 * - the stored answer of the idempotency key (`X-Webhook-Id`) looked up (a repeat gets it);
 * - one transaction (one statement): the upsert of `workflow_executions`, the idempotency row
 *   in `webhook_callbacks` and the audit row (direction incoming) in `webhook_logs`.
 * No framework, no grouping of requests: one request, one transaction.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import { Pool } from 'pg';

const secret = process.env.WEBHOOK_SECRET as string;
const prefix = process.env.PREFIX as string;
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_SIZE ?? 20) });
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const TOLERANCE_S = 300;
const BODY_LIMIT = 128 * 1024;
const STATUSES = new Set(['running', 'waiting', 'success', 'error']);
const ENDPOINT = '/api/v1/webhooks/n8n/workflow-status';

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

function verify(req: IncomingMessage, body: Buffer): string {
  const timestamp = req.headers['x-webhook-timestamp'];
  const header = req.headers['x-webhook-signature-256'];
  if (typeof timestamp !== 'string' || typeof header !== 'string' || !/^sha256=[0-9a-f]{64}$/.test(header))
    throw new Refusal(401, 'signature_missing');
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_S)
    throw new Refusal(401, 'timestamp_out_of_tolerance');
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
  if (!timingSafeEqual(Buffer.from(header.slice(7), 'hex'), expected)) throw new Refusal(401, 'signature_mismatch');
  return expected.toString('hex');
}

interface Status {
  execution_id: string;
  workflow_id: string;
  status: string;
  lead_id: string | null;
  progress: number | null;
  step: string | null;
}

function parse(body: Buffer): Status {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new Refusal(400, 'invalid_json');
  }
  const text = (v: unknown, max: number) => typeof v === 'string' && v.length > 0 && v.length <= max;
  const { execution_id, workflow_id, status, lead_id, progress, step } = value;
  if (!text(execution_id, 200) || !text(workflow_id, 255) || typeof status !== 'string' || !STATUSES.has(status))
    throw new Refusal(400, 'validation_failed');
  if (progress !== undefined && (typeof progress !== 'number' || !Number.isInteger(progress) || progress < 0 || progress > 100))
    throw new Refusal(400, 'validation_failed');
  if ((step !== undefined && !text(step, 500)) || (lead_id !== undefined && !text(lead_id, 36)))
    throw new Refusal(400, 'validation_failed');
  return {
    execution_id: execution_id as string,
    workflow_id: workflow_id as string,
    status,
    lead_id: (lead_id as string | undefined) ?? null,
    progress: progress ?? null,
    step: (step as string | undefined) ?? null,
  };
}

async function apply(req: IncomingMessage, body: Buffer, dto: Status, started: number): Promise<{ status: number; body: string }> {
  const key = typeof req.headers['x-webhook-id'] === 'string' ? req.headers['x-webhook-id'] : undefined;
  if (key) {
    const { rows } = await pool.query<{ status_code: number; response: unknown }>(
      'SELECT status_code, response FROM webhook_callbacks WHERE idempotency_key = $1',
      [key],
    );
    if (rows[0]) return { status: rows[0].status_code, body: JSON.stringify(rows[0].response) };
  }
  // One statement, so one transaction: the execution upserted, then its idempotency row and its
  // audit row, both holding the answer built from the upserted row.
  const headers = JSON.stringify({ ...req.headers, 'x-webhook-signature-256': '[redacted]' });
  const { rows } = await pool.query<{ answer: string }>(
    `WITH e AS (
      INSERT INTO workflow_executions AS e (execution_id, workflow_id, lead_id, status, progress, last_step, started_at, finished_at)
        VALUES ($1, $2, $3, $4::text::execution_status, $5, $6, now(), CASE WHEN $4::text IN ('success', 'error') THEN now() END)
        ON CONFLICT (execution_id) DO UPDATE SET status = EXCLUDED.status, lead_id = COALESCE(EXCLUDED.lead_id, e.lead_id),
          progress = COALESCE(EXCLUDED.progress, e.progress), last_step = COALESCE(EXCLUDED.last_step, e.last_step),
          finished_at = EXCLUDED.finished_at, updated_at = now()
        WHERE e.status NOT IN ('success', 'error')
        RETURNING execution_id, workflow_id, lead_id, status, progress, last_step, data, error, started_at, finished_at),
    a AS (SELECT jsonb_build_object('success', true, 'execution', to_jsonb(e)) AS answer FROM e),
    c AS (INSERT INTO webhook_callbacks (idempotency_key, endpoint, body_sha256, status_code, response)
        SELECT $7, 'workflow-status', $8, 200, a.answer FROM a WHERE $7::text IS NOT NULL),
    l AS (INSERT INTO webhook_logs (direction, delivery_id, endpoint, method, request_headers, request_body, response_status, response_body,
          duration_ms, outcome, source_ip)
        SELECT 'incoming', $7, $9, 'POST', $10::jsonb, $11, 200, a.answer::text, $12, 'accepted', $13 FROM a)
    SELECT answer::text AS answer FROM a`,
    [
      dto.execution_id,
      dto.workflow_id,
      dto.lead_id,
      dto.status,
      dto.progress,
      dto.step,
      key ?? null,
      createHash('sha256').update(body).digest('hex'),
      ENDPOINT,
      headers,
      body.toString('utf8'),
      Math.round(performance.now() - started),
      req.socket.remoteAddress ?? null,
    ],
  );
  // No row: the execution had already finished (the bridge then answers with its state; not exercised by the bench).
  return { status: 200, body: rows[0]?.answer ?? JSON.stringify({ success: true, execution: null }) };
}

async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer, started: number): Promise<void> {
  let status: number;
  let answer: string;
  try {
    const digest = verify(req, body);
    const id = req.headers['x-webhook-id'];
    const claimed = await redis.set(`${prefix}:replay:${digest}`, typeof id === 'string' ? `id:${id}` : '-', 'EX', 2 * TOLERANCE_S, 'NX');
    if (claimed === null) throw new Refusal(409, 'replayed');
    ({ status, body: answer } = await apply(req, body, parse(body), started));
  } catch (error) {
    status = error instanceof Refusal ? error.status : 500;
    answer = JSON.stringify({ error: error instanceof Refusal ? error.code : 'internal_error' });
    if (!(error instanceof Refusal)) process.stderr.write(`${String(error)}\n`);
  }
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
  res.end(answer);
}

const server = createServer((req, res) => {
  const started = performance.now();
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= BODY_LIMIT) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > BODY_LIMIT) {
      res.writeHead(413).end();
      return;
    }
    void handle(req, res, Buffer.concat(chunks), started);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.({ type: 'ready', pid: process.pid }));
process.on('disconnect', () => {
  server.close();
  void Promise.all([pool.end(), redis.quit()]).then(() => process.exit(0));
});
