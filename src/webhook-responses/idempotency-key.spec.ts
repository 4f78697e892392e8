import { createHash } from 'node:crypto';
import type { WebhookRequest } from '../security/webhook-request';
import { idempotencyKeyOf } from './idempotency-key';

describe('idempotencyKeyOf', () => {
  const request = (over: Partial<WebhookRequest>): WebhookRequest =>
    ({ headers: {}, webhook: { id: 'k-1', timestamp: 1, secretIndex: 0, repeat: false }, ...over }) as WebhookRequest;
  const sha = (text: string) => createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex');

  it('keys on X-Webhook-Id and the SHA-256 of the exact bytes: re-serialised JSON is another body', () => {
    expect(idempotencyKeyOf(request({ rawBody: Buffer.from('{"a":1.0}') }))).toEqual({ key: 'k-1', bodySha256: sha('{"a":1.0}') });
    expect(idempotencyKeyOf(request({ rawBody: Buffer.from('{"a":1}') }))?.bodySha256).not.toBe(sha('{"a":1.0}'));
  });

  it('is undefined without X-Webhook-Id, and hashes an absent body as empty', () => {
    expect(
      idempotencyKeyOf(request({ webhook: { timestamp: 1, secretIndex: 0, repeat: false }, rawBody: Buffer.from('{}') })),
    ).toBeUndefined();
    expect(idempotencyKeyOf(request({ headers: { 'content-length': '0' } }))).toEqual({ key: 'k-1', bodySha256: sha('') });
  });

  it('refuses to key a body whose bytes were not kept (a wiring error, never a guess)', () => {
    expect(() => idempotencyKeyOf(request({ headers: { 'content-length': '12' } }))).toThrow('raw request body is not available');
  });
});
