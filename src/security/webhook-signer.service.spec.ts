import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { loadConfig } from '../config/load-config';
import { WebhookSignerService } from './webhook-signer.service';
import { WebhookVerifierService } from './webhook-verifier.service';

const NEW_SECRET = 'new-secret-0123456789abcdef0123456789abcdef';
const OLD_SECRET = 'old-secret-0123456789abcdef0123456789abcdef';
const JWT_SECRET = 'jwt-secret-0123456789abcdef0123456789abcdef';
const VERSION = (JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;

function configWith(env: Record<string, string> = {}) {
  return loadConfig({ NODE_ENV: 'test', WEBHOOK_SECRET: `${NEW_SECRET},${OLD_SECRET}`, ...env });
}

describe('WebhookSignerService (hmac-sha256)', () => {
  const sut = new WebhookSignerService(configWith());
  const body = '{"event_type":"lead_qualified","data":{"lead_id":"L-1","name":"Zoë"}}';

  it('returns every header to send, signed with the first secret as UTF-8', async () => {
    const headers = await sut.sign(body, { id: 'd-1', event: 'lead_qualified', attempt: 2, timestamp: 1_750_000_000 });
    const expected = createHmac('sha256', NEW_SECRET).update(`1750000000.${body}`, 'utf8').digest('hex');
    expect(headers).toEqual({
      'Content-Type': 'application/json',
      'User-Agent': `n8n-webhook-bridge/${VERSION}`,
      'X-Webhook-Id': 'd-1',
      'X-Webhook-Event': 'lead_qualified',
      'X-Webhook-Attempt': '2',
      'X-Webhook-Timestamp': '1750000000',
      'X-Webhook-Signature-256': `sha256=${expected}`,
    });
  });

  it('stamps the current unix second when no timestamp is given', async () => {
    const before = Math.floor(Date.now() / 1000);
    const headers = await sut.sign(body, { id: 'd-1' });
    const after = Math.floor(Date.now() / 1000);
    const stamped = Number(headers['X-Webhook-Timestamp']);
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(after);
    expect(headers).not.toHaveProperty('X-Webhook-Event');
    expect(headers).not.toHaveProperty('X-Webhook-Attempt');
  });

  it('keeps the delivery id across attempts while the signature follows the timestamp', async () => {
    const first = await sut.sign(body, { id: 'd-9', attempt: 1, timestamp: 1_750_000_000 });
    const retry = await sut.sign(body, { id: 'd-9', attempt: 2, timestamp: 1_750_000_030 });
    expect(retry['X-Webhook-Id']).toBe(first['X-Webhook-Id']);
    expect(retry['X-Webhook-Signature-256']).not.toBe(first['X-Webhook-Signature-256']);
  });

  it('signs Buffers and strings identically', async () => {
    const a = await sut.sign(body, { id: 'x', timestamp: 1 });
    const b = await sut.sign(Buffer.from(body, 'utf8'), { id: 'x', timestamp: 1 });
    expect(b['X-Webhook-Signature-256']).toBe(a['X-Webhook-Signature-256']);
  });

  it('buildSignedRequest serialises once and signs exactly that string', async () => {
    const payload = { lead_id: 'L-1', score: 1.5, tags: ['a', 'ü'] };
    const { body: sent, headers } = await sut.buildSignedRequest(payload, { id: 'd-2', event: 'lead_scraped', timestamp: 1_750_000_000 });
    expect(sent).toBe(JSON.stringify(payload));
    const verifier = new WebhookVerifierService(configWith());
    expect(verifier.verify(Buffer.from(sent), lowerCase(headers), 1_750_000_000)).toMatchObject({ ok: true, id: 'd-2', secretIndex: 0 });
  });

  it('sends no Authorization header when no JWT secret is configured', async () => {
    expect(await sut.sign(body, { id: 'd-1' })).not.toHaveProperty('Authorization');
  });

  describe('with N8N_JWT_SECRET', () => {
    const withJwt = new WebhookSignerService(configWith({ N8N_JWT_SECRET: JWT_SECRET }));
    const key = new TextEncoder().encode(JWT_SECRET);

    it('adds a bearer HS256 JWT whose claims jose verifies: jti, iat, exp ≤ iat + 300, event, body_sha256', async () => {
      const headers = await withJwt.sign(body, { id: 'd-3', event: 'demo_completed', attempt: 1 });
      const token = /^Bearer (.+)$/.exec(headers.Authorization!)?.[1] as string;
      const { payload, protectedHeader } = await jwtVerify(token, key, { algorithms: ['HS256'] });
      expect(protectedHeader.alg).toBe('HS256');
      expect(payload.jti).toBe('d-3');
      expect(payload.event).toBe('demo_completed');
      expect(payload.body_sha256).toBe(createHash('sha256').update(body).digest('hex'));
      expect(payload.iat).toBe(Number(headers['X-Webhook-Timestamp']));
      expect((payload.exp as number) - (payload.iat as number)).toBeGreaterThan(0);
      expect((payload.exp as number) - (payload.iat as number)).toBeLessThanOrEqual(300);
    });

    it('is refused by jose with another key, and once expired', async () => {
      const headers = await withJwt.sign(body, { id: 'd-4', event: 'demo_completed', timestamp: Math.floor(Date.now() / 1000) - 301 });
      const token = headers.Authorization!.slice('Bearer '.length);
      expect(decodeProtectedHeader(token).alg).toBe('HS256');
      expect(decodeJwt(token).jti).toBe('d-4');
      await expect(jwtVerify(token, key)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
      const fresh = (await withJwt.sign(body, { id: 'd-5' })).Authorization!.slice(7);
      await expect(jwtVerify(fresh, new TextEncoder().encode(`${JWT_SECRET}x`))).rejects.toMatchObject({
        code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      });
    });
  });
});

function lowerCase(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
