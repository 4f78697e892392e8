import { Body, Controller, HttpCode, Logger, Post, Req, UseGuards } from '@nestjs/common';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { ServiceUnavailableError } from '../src/common/errors/app-errors';
import { OutboxEvent } from '../src/outbox/outbox-event.entity';
import { REDIS } from '../src/redis/redis.module';
import { WebhookSignatureGuard } from '../src/security/webhook-signature.guard';
import { WebhookSignerService } from '../src/security/webhook-signer.service';
import { VerifiedWebhook, WebhookContext, WebhookRequest } from '../src/security/webhook-request';
import { WorkflowErrorReport } from '../src/webhook-responses/workflow-error-report.entity';
import { CALLBACKS } from './support/callbacks';
import { hmacHex, nowSeconds, signedHeaders } from './support/sign';
import { startTestApp, TEST_REDIS_URL, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

const NEW_SECRET = 'e2e-new-secret-0123456789abcdef0123456789ab';
const OLD_SECRET = 'e2e-old-secret-0123456789abcdef0123456789ab';
const ECHO = '/security-e2e/echo';
const FLAKY = '/security-e2e/flaky';

const failedOnce = new Set<string>();

/** Test-only routes behind the guard: they show what the guard handed over, and keep no state of their own. */
@Controller('security-e2e')
@UseGuards(WebhookSignatureGuard)
class EchoController {
  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: unknown, @VerifiedWebhook() webhook: WebhookContext) {
    return { webhook, body };
  }

  /** Fails with 503 the first time it sees a body: nothing was applied, so the same bytes may be retried. */
  @Post('flaky')
  @HttpCode(200)
  flaky(@Req() req: WebhookRequest) {
    const key = req.rawBody?.toString('hex') ?? '';
    if (!failedOnce.has(key)) {
      failedOnce.add(key);
      throw new ServiceUnavailableError('database briefly unavailable');
    }
    return { ok: true };
  }
}

type EchoApp = TestApp;

function startEchoApp(env: Record<string, string> = {}): Promise<EchoApp> {
  return startTestApp({ WEBHOOK_SECRET: `${NEW_SECRET},${OLD_SECRET}`, ...env }, { controllers: [EchoController] });
}

let uid = 0;
const uniqueId = (label: string) => `${label}-${Date.now().toString(36)}-${++uid}`;

/**
 * The product's `error-notification` callback, behind the same guard: each time it is applied it
 * writes a report row and raises a `workflow_error` event, so only the guard and the route's
 * idempotency store keep a resent copy from being applied twice.
 */
const ERROR_CALLBACK = `${CALLBACKS}/error-notification`;
const errorReport = (workflowId: string) =>
  JSON.stringify({ workflow_id: workflowId, error_message: 'render failed', severity: 'warning' });
/** What the callbacks for this workflow changed: report rows written and workflow_error events raised. */
async function effectsOf(t: TestApp, workflowId: string) {
  return {
    reports: await t.dataSource.getRepository(WorkflowErrorReport).countBy({ workflowId }),
    events: await t.dataSource.getRepository(OutboxEvent).countBy({ eventType: 'workflow_error', entityId: workflowId }),
  };
}

describe('webhook signature guard (e2e, real Postgres and Redis)', () => {
  let t: EchoApp;
  const logged: string[] = [];
  beforeAll(async () => {
    t = await startEchoApp();
    for (const level of ['log', 'warn', 'error', 'debug', 'verbose'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation(function (this: unknown, ...args: unknown[]) {
        logged.push(JSON.stringify(args));
      });
    }
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await (t as EchoApp | undefined)?.close();
  });

  /** Sends exactly `body` (superagent would JSON-encode a Buffer sent as application/json). */
  const post = (path: string, body: string | Buffer, headers: Record<string, string | string[]>) => {
    const req = request(t.http).post(path);
    for (const [name, value] of Object.entries(headers)) req.set(name, value as string);
    return req.serialize((raw: unknown) => raw as string).send(body);
  };
  /** The refusal's audit row is written in the background (the answer does not wait for it). */
  const rejectedRows = (deliveryId: string) =>
    waitFor(
      async () => {
        const rows = await t.dataSource.query(
          `SELECT * FROM webhook_logs WHERE direction = 'incoming' AND outcome = 'rejected' AND delivery_id = $1`,
          [deliveryId],
        );
        return rows.length > 0 ? rows : undefined;
      },
      { what: `refusal row ${deliveryId}` },
    );

  it('accepts a signed request and hands the handler the verified id and timestamp', async () => {
    const body = JSON.stringify({ execution_id: 'e-1', status: 'done' });
    const headers = signedHeaders(body, NEW_SECRET, { id: uniqueId('ok') });
    const res = await post(ECHO, body, headers).expect(200);
    expect(res.body).toEqual({
      webhook: { id: headers['x-webhook-id'], timestamp: Number(headers['x-webhook-timestamp']), secretIndex: 0, repeat: false },
      body: { execution_id: 'e-1', status: 'done' },
    });
  });

  it('refuses a request without signature headers: 401 signature_missing', async () => {
    const res = await post(ECHO, '{}', { 'content-type': 'application/json' }).expect(401);
    expect(res.body).toMatchObject({ statusCode: 401, error: 'signature_missing' });
  });

  it.each([
    ['an empty signature', 'signature_missing', ''],
    ['non-hex digits', 'signature_malformed', `sha256=${'x'.repeat(64)}`],
    ['an odd-length digest', 'signature_malformed', `sha256=${'a'.repeat(63)}`],
    ['a wrong-length digest', 'signature_malformed', `sha256=${'a'.repeat(32)}`],
    ['a bare hex digest', 'signature_malformed', 'a'.repeat(64)],
  ])('refuses %s: 401 %s', async (_label, reason, signature) => {
    const res = await post(ECHO, '{}', { ...signedHeaders('{}', NEW_SECRET), 'x-webhook-signature-256': signature }).expect(401);
    expect(res.body.error).toBe(reason);
  });

  it('accepts upper-case hex', async () => {
    const body = JSON.stringify({ upper: uniqueId('hex') });
    const headers = signedHeaders(body, NEW_SECRET);
    const upper = `sha256=${headers['x-webhook-signature-256']!.slice('sha256='.length).toUpperCase()}`;
    expect(upper).toMatch(/^sha256=[0-9A-F]{64}$/);
    await post(ECHO, body, { ...headers, 'x-webhook-signature-256': upper }).expect(200);
  });

  it('refuses a signature made with another secret, and a body changed by one byte: 401 signature_mismatch', async () => {
    const body = JSON.stringify({ lead: 'L-7' });
    expect((await post(ECHO, body, signedHeaders(body, 'not-our-secret-0123456789abcdef0123456789')).expect(401)).body.error).toBe(
      'signature_mismatch',
    );
    const changed = body.replace('L-7', 'L-8');
    expect((await post(ECHO, changed, signedHeaders(body, NEW_SECRET)).expect(401)).body.error).toBe('signature_mismatch');
  });

  it.each([
    ['301 s old', () => nowSeconds() - 301],
    ['301 s ahead', () => nowSeconds() + 301],
    ['non-numeric', () => 'soon'],
    ['negative', () => -nowSeconds()],
    ['huge', () => '9'.repeat(30)],
  ])('refuses a timestamp %s: 401 timestamp_out_of_tolerance', async (_label, timestamp) => {
    const res = await post(ECHO, '{}', signedHeaders('{}', NEW_SECRET, { timestamp: timestamp() })).expect(401);
    expect(res.body.error).toBe('timestamp_out_of_tolerance');
  });

  it('refuses a missing timestamp: 401 timestamp_missing', async () => {
    const { 'x-webhook-timestamp': _dropped, ...headers } = signedHeaders('{}', NEW_SECRET);
    expect((await post(ECHO, '{}', headers).expect(401)).body.error).toBe('timestamp_missing');
  });

  it('refuses duplicated signature or timestamp headers (Node joins them with ", ")', async () => {
    const headers = signedHeaders('{}', NEW_SECRET);
    const sig = headers['x-webhook-signature-256']!;
    expect((await post(ECHO, '{}', { ...headers, 'x-webhook-signature-256': [sig, sig] }).expect(401)).body.error).toBe(
      'signature_malformed',
    );
    const ts = headers['x-webhook-timestamp']!;
    expect((await post(ECHO, '{}', { ...headers, 'x-webhook-timestamp': [ts, ts] }).expect(401)).body.error).toBe(
      'timestamp_out_of_tolerance',
    );
  });

  it('verifies unicode and whitespace exactly as sent (no re-serialisation)', async () => {
    const body = `  {\n\t"name" : "Zoë 🚀 東京 \\u00e9",\r\n  "score": 1.0, "id": "${uniqueId('uni')}" }\n`;
    const res = await post(ECHO, body, signedHeaders(body, NEW_SECRET)).expect(200);
    expect(res.body.body).toMatchObject({ name: 'Zoë 🚀 東京 é', score: 1 });
  });

  it('accepts an empty body, with or without a JSON content type', async () => {
    await post(ECHO, '', signedHeaders('', NEW_SECRET, { timestamp: nowSeconds() - 1 })).expect(200);
    const { 'content-type': _ct, ...noType } = signedHeaders('', NEW_SECRET, { timestamp: nowSeconds() - 2 });
    await request(t.http).post(ECHO).set(noType).expect(200);
  });

  it('answers a signed body that is not JSON with a 4xx, never a 500', async () => {
    const body = `{"not json ${uniqueId('raw')}`;
    // Parsed only once the signature verified: 400 invalid_json, with the request id, never quoting the body.
    const invalid = await post(ECHO, body, signedHeaders(body, NEW_SECRET)).expect(400);
    expect(invalid.body).toEqual({
      statusCode: 400,
      error: 'invalid_json',
      message: 'Request body is not valid JSON',
      details: { problem: 'syntax' },
      request_id: expect.any(String),
    });
    // Unsigned, the same bytes are never parsed: the signature is refused first.
    expect((await post(ECHO, body, { 'content-type': 'application/json' }).expect(401)).body.error).toBe('signature_missing');
    // Another content type is not parsed, so its bytes cannot be verified: 415, audited.
    const id = uniqueId('text');
    const text = await post(ECHO, body, signedHeaders(body, NEW_SECRET, { contentType: 'text/plain', id })).expect(415);
    expect(text.body.error).toBe('unsupported_media_type');
    expect(await rejectedRows(id)).toEqual([expect.objectContaining({ reason: 'unsupported_media_type', response_status: 415 })]);
  });

  it('refuses a 2 MB body with 413 before verification', async () => {
    const body = JSON.stringify({ blob: 'x'.repeat(2 * 1024 * 1024) });
    const res = await post(ECHO, body, signedHeaders(body, NEW_SECRET)).expect(413);
    expect(res.body.error).toBe('payload_too_large');
  });

  describe('rotation (WEBHOOK_SECRET=new,old)', () => {
    it('accepts requests signed with the old secret (secretIndex 1) and with the new one (0)', async () => {
      const body = JSON.stringify({ rotation: uniqueId('rot') });
      expect((await post(ECHO, body, signedHeaders(body, OLD_SECRET)).expect(200)).body.webhook.secretIndex).toBe(1);
      expect((await post(ECHO, body, signedHeaders(body, NEW_SECRET)).expect(200)).body.webhook.secretIndex).toBe(0);
    });

    it('signs outgoing requests with the new secret only, in a form this guard accepts', async () => {
      const signer = t.app.get(WebhookSignerService);
      const { body, headers } = await signer.buildSignedRequest(
        { lead_id: uniqueId('out') },
        { id: uniqueId('d'), event: 'lead_scraped', attempt: 1 },
      );
      const ts = headers['X-Webhook-Timestamp']!;
      expect(headers['X-Webhook-Signature-256']).toBe(`sha256=${hmacHex(NEW_SECRET, ts, body)}`);
      expect(headers['X-Webhook-Signature-256']).not.toBe(`sha256=${hmacHex(OLD_SECRET, ts, body)}`);
      await post(ECHO, body, headers).expect(200);
    });
  });

  describe('replay protection', () => {
    it('refuses the exact same signed callback (no X-Webhook-Id) a second time with 409 replayed: applied once', async () => {
      const workflowId = uniqueId('rp');
      const body = errorReport(workflowId);
      const headers = signedHeaders(body, NEW_SECRET);
      await post(ERROR_CALLBACK, body, headers).expect(200);
      const again = await post(ERROR_CALLBACK, body, headers).expect(409);
      expect(again.body.error).toBe('replayed');
      // The same signature in upper-case hex is the same signed content.
      await post(ERROR_CALLBACK, body, {
        ...headers,
        'x-webhook-signature-256': `sha256=${headers['x-webhook-signature-256']!.slice(7).toUpperCase()}`,
      }).expect(409);
      expect(await effectsOf(t, workflowId)).toEqual({ reports: 1, events: 1 });
    });

    it('hands an identical resend with the same X-Webhook-Id to the route as a repeat: the callback answers it from its store, applied once', async () => {
      // What the guard hands a route: the first copy, then the same bytes as a repeat.
      const echoId = uniqueId('retry');
      const echoBody = JSON.stringify({ retried: echoId });
      const echoHeaders = signedHeaders(echoBody, NEW_SECRET, { id: echoId });
      expect((await post(ECHO, echoBody, echoHeaders).expect(200)).body.webhook).toMatchObject({ id: echoId, repeat: false });
      expect((await post(ECHO, echoBody, echoHeaders).expect(200)).body.webhook).toMatchObject({ id: echoId, repeat: true });

      // A product callback resent the same way: the first answer again, marked replayed, and nothing applied twice.
      const workflowId = uniqueId('retry');
      const body = errorReport(workflowId);
      const headers = signedHeaders(body, NEW_SECRET, { id: workflowId });
      const first = await post(ERROR_CALLBACK, body, headers).expect(200);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const again = await post(ERROR_CALLBACK, body, headers).expect(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await effectsOf(t, workflowId)).toEqual({ reports: 1, events: 1 });
    });

    it('refuses the same signed bytes sent with another X-Webhook-Id, or with the id removed (the id is not signed)', async () => {
      const workflowId = uniqueId('swap');
      const body = errorReport(workflowId);
      const headers = signedHeaders(body, NEW_SECRET, { id: workflowId });
      await post(ERROR_CALLBACK, body, headers).expect(200);
      expect((await post(ERROR_CALLBACK, body, { ...headers, 'x-webhook-id': `${workflowId}-other` }).expect(409)).body.error).toBe(
        'replayed',
      );
      const { 'x-webhook-id': _removed, ...withoutId } = headers;
      expect((await post(ERROR_CALLBACK, body, withoutId).expect(409)).body.error).toBe('replayed');
      expect(await effectsOf(t, workflowId)).toEqual({ reports: 1, events: 1 });
    });

    it('keys the replay in Redis under <prefix>:replay: for twice the tolerance', async () => {
      const body = JSON.stringify({ ttl: uniqueId('ttl') });
      await post(ECHO, body, signedHeaders(body, NEW_SECRET)).expect(200);
      const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1, disconnectTimeout: 0 });
      try {
        const keys = await redis.keys(`${t.config.redis.queuePrefix}:replay:*`);
        expect(keys.length).toBeGreaterThan(0);
        const ttl = await redis.ttl(keys[0]!);
        expect(ttl).toBeGreaterThan(2 * 300 - 60);
        expect(ttl).toBeLessThanOrEqual(2 * 300);
      } finally {
        redis.disconnect();
      }
    });

    it('lets the same bytes through again after the first attempt ended in a server error, then refuses them', async () => {
      const body = JSON.stringify({ flaky: uniqueId('flaky') });
      const headers = signedHeaders(body, NEW_SECRET);
      await post(FLAKY, body, headers).expect(503);
      await post(FLAKY, body, headers).expect(200);
      expect((await post(FLAKY, body, headers).expect(409)).body.error).toBe('replayed');
    });

    it("a re-signed request (new timestamp) with the same X-Webhook-Id passes the guard: idempotency by id is the handlers' job", async () => {
      const id = uniqueId('same-id');
      const body = JSON.stringify({ callback: id });
      await post(ECHO, body, signedHeaders(body, NEW_SECRET, { id, timestamp: nowSeconds() - 1 })).expect(200);
      const second = await post(ECHO, body, signedHeaders(body, NEW_SECRET, { id, timestamp: nowSeconds() })).expect(200);
      expect(second.body.webhook.id).toBe(id);
    });
  });

  describe('a request signed by openssl in a shell', () => {
    const opensslSign = (secret: string, timestamp: number, body: string) =>
      execFileSync('openssl', ['dgst', '-sha256', '-hmac', secret], { input: `${timestamp}.${body}` })
        .toString()
        .trim()
        .split(/\s+/)
        .pop() as string;

    it('is accepted; changing a body byte, the timestamp or the secret is refused with signature_mismatch', async () => {
      const body = JSON.stringify({ from: 'openssl', id: uniqueId('ssl'), note: 'grüße' });
      const ts = nowSeconds();
      const good = {
        'content-type': 'application/json',
        'x-webhook-timestamp': String(ts),
        'x-webhook-signature-256': `sha256=${opensslSign(NEW_SECRET, ts, body)}`,
      };
      await post(ECHO, body, good).expect(200);
      const reason = async (b: string, h: Record<string, string>) => (await post(ECHO, b, h).expect(401)).body.error;
      expect(await reason(body.replace('openssl', 'openssM'), good)).toBe('signature_mismatch');
      expect(await reason(body, { ...good, 'x-webhook-timestamp': String(ts - 1) })).toBe('signature_mismatch');
      const otherSecret = {
        ...good,
        'x-webhook-signature-256': `sha256=${opensslSign('a-different-secret-0123456789abcdef012345', ts, body)}`,
      };
      expect(await reason(body, otherSecret)).toBe('signature_mismatch');
    });
  });

  describe('audit trail and secrecy', () => {
    it('writes each refusal to webhook_logs with the reason, path, method and source ip, and no signature or secret', async () => {
      // Header-level refusals are decided before the body is read: they record no body.
      const cases: Array<[string, Record<string, string>, string | null]> = [
        ['signature_mismatch', signedHeaders('{"a":1}', 'not-our-secret-0123456789abcdef0123456789'), '{"a":1}'],
        ['timestamp_out_of_tolerance', signedHeaders('{"a":1}', NEW_SECRET, { timestamp: nowSeconds() - 3600 }), null],
        ['signature_malformed', { ...signedHeaders('{"a":1}', NEW_SECRET), 'x-webhook-signature-256': 'sha256=zz' }, null],
      ];
      for (const [expected, headers, recordedBody] of cases) {
        const id = uniqueId(expected);
        const res = await post(`${ECHO}?trace=1`, '{"a":1}', {
          ...headers,
          'x-webhook-id': id,
          authorization: 'Bearer very-private-token',
        }).expect(401);
        const rows = await rejectedRows(id);
        expect(rows).toEqual([
          expect.objectContaining({
            direction: 'incoming',
            outcome: 'rejected',
            reason: expected,
            endpoint: ECHO,
            method: 'POST',
            response_status: 401,
            request_body: recordedBody,
          }),
        ]);
        expect(rows[0].source_ip).toMatch(/127\.0\.0\.1|::1/);
        expect(rows[0].request_headers['x-webhook-signature-256']).toBe('[redacted]');
        expect(rows[0].request_headers.authorization).toBe('[redacted]');
        expect(rows[0].request_headers['x-webhook-timestamp']).toBe(headers['x-webhook-timestamp']);
        const everything = JSON.stringify(rows) + JSON.stringify(res.body);
        for (const secret of [NEW_SECRET, OLD_SECRET, headers['x-webhook-signature-256']!.slice(7), 'very-private-token'])
          expect(everything).not.toContain(secret);
        const expectedMac = hmacHex(NEW_SECRET, headers['x-webhook-timestamp']!, '{"a":1}');
        expect(everything).not.toContain(expectedMac);
      }
    });

    it('never writes a secret or a signature to the application log', async () => {
      const body = '{"log":"check"}';
      const headers = signedHeaders(body, 'not-our-secret-0123456789abcdef0123456789');
      await post(ECHO, body, headers).expect(401);
      const all = logged.join('\n');
      expect(all).toContain('signature_mismatch');
      for (const secret of [
        NEW_SECRET,
        OLD_SECRET,
        headers['x-webhook-signature-256']!.slice(7),
        hmacHex(NEW_SECRET, headers['x-webhook-timestamp']!, body),
      ])
        expect(all).not.toContain(secret);
    });
  });

  describe('random requests over HTTP (fast-check)', () => {
    it('400 requests: zero 5xx; a 2xx only for an untouched signed request, first time or resent with its original id', async () => {
      /** Requests accepted the first time, by signed content, with the id they carried. */
      const accepted: Array<{ body: string; headers: Record<string, string>; id?: string }> = [];
      let repeats = 0;
      let replays = 0;
      const objectBody = fc
        .tuple(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), fc.constantFrom(0, 2, '\t'))
        .map(([obj, space]) => JSON.stringify(obj, null, space));
      const mutation = fc.constantFrom(
        'none',
        'none',
        'resend',
        'resend',
        'flip',
        'secret',
        'stale',
        'future',
        'garbage',
        'missing',
        'duplicate',
        'old-secret',
        'text',
        'garbage-ts',
      );
      const ascii = fc.stringMatching(/^[\x21-\x7e]{0,70}$/);
      await fc.assert(
        fc.asyncProperty(
          objectBody,
          mutation,
          fc.nat(),
          ascii,
          fc.constantFrom('none', 'same', 'other'),
          async (freshBody, how, at, garbage, idChoice) => {
            if (how === 'resend' && accepted.length > 0) {
              // The very same signed bytes again: with the original id it is a repeat for the route, otherwise a replay.
              const original = accepted[at % accepted.length];
              const headers: Record<string, string> = { ...original!.headers };
              if (idChoice === 'none') delete headers['x-webhook-id'];
              if (idChoice === 'other') headers['x-webhook-id'] = `other-${at}`;
              const res = await post(ECHO, original!.body, headers);
              const isRepeat = original!.id !== undefined && headers['x-webhook-id'] === original!.id;
              expect(res.status).toBe(isRepeat ? 200 : 409);
              if (isRepeat) expect(res.body.webhook.repeat).toBe(true);
              if (isRepeat) repeats++;
              else replays++;
              return;
            }
            const body = `${freshBody.slice(0, -1)}${freshBody.length > 2 ? ',' : ''}"n":${at}}`;
            const sent = Buffer.from(body);
            const secret = how === 'secret' ? 'random-attacker-secret-0123456789abcdef01' : how === 'old-secret' ? OLD_SECRET : NEW_SECRET;
            const ts =
              how === 'stale'
                ? nowSeconds() - 301 - (at % 10_000)
                : how === 'future'
                  ? nowSeconds() + 301 + (at % 10_000)
                  : nowSeconds() - (at % 200);
            const id = idChoice === 'none' ? undefined : `id-${createHash('sha256').update(`${ts}|${body}`).digest('hex').slice(0, 16)}`;
            const headers: Record<string, string | string[]> = signedHeaders(body, secret, {
              timestamp: ts,
              id,
              contentType: how === 'text' ? 'text/plain' : 'application/json',
            });
            if (how === 'flip') sent[at % sent.length]! ^= 0x01;
            if (how === 'garbage') headers['x-webhook-signature-256'] = garbage;
            if (how === 'garbage-ts') headers['x-webhook-timestamp'] = garbage;
            if (how === 'missing') delete headers['x-webhook-signature-256'];
            if (how === 'duplicate')
              headers['x-webhook-signature-256'] = [
                headers['x-webhook-signature-256'] as string,
                headers['x-webhook-signature-256'] as string,
              ];
            const res = await post(ECHO, sent, headers);
            expect(res.status).toBeLessThan(500);
            const untouched = how === 'none' || how === 'old-secret' || how === 'resend';
            // Fresh signed content (the body ends with a varying "n") is accepted; anything altered is not.
            const seenBefore = accepted.some((a) => a.headers['x-webhook-signature-256'] === headers['x-webhook-signature-256']);
            if (untouched && !seenBefore) expect(res.status).toBe(200);
            if (!untouched) expect(res.status).toBeGreaterThanOrEqual(400);
            if (res.status === 200 && !seenBefore) accepted.push({ body, headers: headers as Record<string, string>, id });
          },
        ),
        { numRuns: 400 },
      );
      expect(accepted.length).toBeGreaterThan(40);
      expect(repeats).toBeGreaterThan(2);
      expect(replays).toBeGreaterThan(15);
    });
  });
});

describe('webhook signature guard when Redis is unreachable (e2e)', () => {
  let t: EchoApp;
  beforeAll(async () => {
    t = await startEchoApp();
    // Redis goes away under a running app: the shared client stops answering at once.
    t.app.get<Redis>(REDIS).disconnect();
  });
  afterAll(() => (t as EchoApp | undefined)?.close());

  it('fails closed: a validly signed request gets 503 (audited), an invalid one still 401', async () => {
    const id = uniqueId('noredis');
    const body = JSON.stringify({ id });
    const res = await request(t.http)
      .post(ECHO)
      .set(signedHeaders(body, NEW_SECRET, { id }))
      .send(body)
      .expect(503);
    expect(res.body.error).toBe('service_unavailable');
    expect(res.headers['retry-after']).toBeDefined();
    const rows = await waitFor(
      async () => {
        const found = await t.dataSource.query(`SELECT reason, response_status FROM webhook_logs WHERE delivery_id = $1`, [id]);
        return found.length > 0 ? found : undefined;
      },
      { what: 'the refusal row' },
    );
    expect(rows).toEqual([{ reason: 'replay_store_unavailable', response_status: 503 }]);
    await request(t.http).post(ECHO).set(signedHeaders(body, 'wrong-secret-0123456789abcdef0123456789ab')).send(body).expect(401);
  });
});

describe('webhook signature guard in standard-webhooks mode (e2e)', () => {
  const secret = `whsec_${Buffer.from('e2e-standard-webhooks-key-0123456789').toString('base64')}`;
  let t: EchoApp;
  beforeAll(async () => {
    t = await startEchoApp({ WEBHOOK_SIGNATURE_SCHEME: 'standard-webhooks', WEBHOOK_SECRET: secret });
  });
  afterAll(() => (t as EchoApp | undefined)?.close());

  /** Headers the standardwebhooks library signs `body` with, sent as n8n would. */
  const standardHeaders = (id: string, body: string) => {
    const now = new Date();
    return {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, now, body),
    };
  };

  it('accepts what the standardwebhooks library signs; an identical resend is a repeat, applied once; hmac-sha256 headers mean nothing', async () => {
    const body = JSON.stringify({ standard: uniqueId('sw') });
    const id = uniqueId('msg');
    const headers = standardHeaders(id, body);
    const first = await request(t.http).post(ECHO).set(headers).send(body).expect(200);
    expect(first.body.webhook).toMatchObject({ id, secretIndex: 0, repeat: false });
    // The id is signed in this scheme, so an exact resend always carries the original id.
    const again = await request(t.http).post(ECHO).set(headers).send(body).expect(200);
    expect(again.body.webhook).toMatchObject({ id, secretIndex: 0, repeat: true });

    // A product callback resent the same way: the first answer again, marked replayed, and nothing applied twice.
    const workflowId = uniqueId('sw');
    const report = errorReport(workflowId);
    const reportHeaders = standardHeaders(workflowId, report);
    const applied = await request(t.http).post(ERROR_CALLBACK).set(reportHeaders).send(report).expect(200);
    expect(applied.headers['idempotent-replayed']).toBeUndefined();
    const resent = await request(t.http).post(ERROR_CALLBACK).set(reportHeaders).send(report).expect(200);
    expect(resent.headers['idempotent-replayed']).toBe('true');
    expect(resent.body).toEqual(applied.body);
    expect(await effectsOf(t, workflowId)).toEqual({ reports: 1, events: 1 });

    expect((await request(t.http).post(ECHO).set(signedHeaders(body, secret)).send(body).expect(401)).body.error).toBe('signature_missing');
  });

  it('signs outgoing requests that the standardwebhooks library verifies', async () => {
    const { body, headers } = await t.app.get(WebhookSignerService).buildSignedRequest({ a: 1 }, { id: 'msg_out_1', event: 'email_sent' });
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
  });
});
