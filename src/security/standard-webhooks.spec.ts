import type { IncomingHttpHeaders } from 'node:http';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { loadConfig } from '../config/load-config';
import { generateSecret } from './secret';
import { WebhookSignerService } from './webhook-signer.service';
import { WebhookVerifierService } from './webhook-verifier.service';

/** Compatibility in both directions with the reference implementation, the `standardwebhooks` package. */
describe('Standard Webhooks scheme', () => {
  const current = generateSecret('standard-webhooks');
  const previous = generateSecret('standard-webhooks');
  const config = loadConfig({ NODE_ENV: 'test', WEBHOOK_SIGNATURE_SCHEME: 'standard-webhooks', WEBHOOK_SECRET: `${current},${previous}` });
  const signer = new WebhookSignerService(config);
  const verifier = new WebhookVerifierService(config);
  const bodies = ['{"lead_id":"L-1"}', '{ "name": "Zoë 🚀",\n  "n": 1.0 }', '', '[]'];

  it('signs what the standardwebhooks library verifies', async () => {
    for (const body of bodies) {
      const headers = await signer.sign(body, { id: 'msg_2Lh9', event: 'lead_scraped', attempt: 1 });
      expect(Object.keys(headers)).toEqual(expect.arrayContaining(['webhook-id', 'webhook-timestamp', 'webhook-signature']));
      expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      expect(() => new Webhook(current).verify(body, headers, { jsonParse: false })).not.toThrow();
      // It is the current secret that signs: the library refuses it under the previous one.
      expect(() => new Webhook(previous).verify(body, headers)).toThrow(WebhookVerificationError);
    }
  });

  it('accepts what the standardwebhooks library signs, with the current or the previous secret', () => {
    const timestamp = new Date();
    for (const [index, secret] of [current, previous].entries()) {
      for (const body of bodies) {
        const headers: IncomingHttpHeaders = {
          'webhook-id': 'msg_abc',
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': new Webhook(secret).sign('msg_abc', timestamp, body),
        };
        expect(verifier.verify(Buffer.from(body), headers)).toMatchObject({ ok: true, id: 'msg_abc', secretIndex: index });
      }
    }
  });

  it('accepts a header carrying several signatures when any one matches', () => {
    const timestamp = new Date();
    const body = '{"a":1}';
    const ours = new Webhook(current).sign('msg_1', timestamp, body);
    const foreign = new Webhook(generateSecret('standard-webhooks')).sign('msg_1', timestamp, body);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)) };
    expect(verifier.verify(Buffer.from(body), { ...headers, 'webhook-signature': `${foreign} v1a,c29tZXRoaW5n ${ours}` }).ok).toBe(true);
    expect(verifier.verify(Buffer.from(body), { ...headers, 'webhook-signature': foreign })).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it('refuses what the library also refuses: a changed id, body or timestamp', () => {
    const timestamp = new Date();
    const seconds = String(Math.floor(timestamp.getTime() / 1000));
    const signature = new Webhook(current).sign('msg_1', timestamp, '{"a":1}');
    const good = { 'webhook-id': 'msg_1', 'webhook-timestamp': seconds, 'webhook-signature': signature };
    expect(verifier.verify(Buffer.from('{"a":1}'), { ...good, 'webhook-id': 'msg_2' })).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
    expect(verifier.verify(Buffer.from('{"a":2}'), good)).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verifier.verify(Buffer.from('{"a":1}'), { ...good, 'webhook-timestamp': String(Number(seconds) + 1) })).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
    expect(verifier.verify(Buffer.from('{"a":1}'), good, Number(seconds) + 301)).toEqual({
      ok: false,
      reason: 'timestamp_out_of_tolerance',
    });
  });

  it('maps missing and malformed headers onto the same reasons as the default scheme', () => {
    const body = Buffer.from('{}');
    const seconds = String(Math.floor(Date.now() / 1000));
    const signature = new Webhook(current).sign('msg_1', new Date(), '{}');
    expect(verifier.verify(body, {})).toEqual({ ok: false, reason: 'signature_missing' });
    expect(verifier.verify(body, { 'webhook-id': 'msg_1', 'webhook-timestamp': seconds, 'webhook-signature': 'v1,short' })).toEqual({
      ok: false,
      reason: 'signature_malformed',
    });
    // The id is signed in this scheme: without it the message cannot be rebuilt.
    expect(verifier.verify(body, { 'webhook-timestamp': seconds, 'webhook-signature': signature })).toEqual({
      ok: false,
      reason: 'signature_malformed',
    });
    expect(verifier.verify(body, { 'webhook-id': 'msg_1', 'webhook-signature': signature })).toEqual({
      ok: false,
      reason: 'timestamp_missing',
    });
    // The hmac-sha256 headers mean nothing in this scheme.
    expect(verifier.verify(body, { 'x-webhook-timestamp': seconds, 'x-webhook-signature-256': `sha256=${'a'.repeat(64)}` })).toEqual({
      ok: false,
      reason: 'signature_missing',
    });
  });

  it('also sends the X-Webhook-* headers and no hmac-sha256 signature', async () => {
    const headers = await signer.sign('{}', { id: 'msg_9', event: 'email_sent', attempt: 3 });
    expect(headers).toMatchObject({
      'X-Webhook-Id': 'msg_9',
      'X-Webhook-Event': 'email_sent',
      'X-Webhook-Attempt': '3',
      'Content-Type': 'application/json',
    });
    expect(headers).not.toHaveProperty('X-Webhook-Signature-256');
  });
});
