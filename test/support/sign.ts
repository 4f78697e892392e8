import { createHmac } from 'node:crypto';

/**
 * Signs test requests straight from the wire contract with plain node:crypto, independently of
 * src/security, so a bug there cannot hide behind the same bug here.
 *
 * hmac-sha256: X-Webhook-Timestamp = unix seconds; X-Webhook-Signature-256 = "sha256=" +
 * hex HMAC-SHA256(secret as UTF-8, `${timestamp}.${body}`); X-Webhook-Id optional.
 */
export interface SignOptions {
  /** Unix seconds; defaults to now. */
  timestamp?: number | string;
  /** Sent as X-Webhook-Id (webhook-id in the standard scheme). */
  id?: string;
  contentType?: string;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function hmacHex(secret: string, timestamp: number | string, body: string | Buffer): string {
  return createHmac('sha256', secret)
    .update(Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.from(body)]))
    .digest('hex');
}

/** Headers for a request signed with the default hmac-sha256 scheme. */
export function signedHeaders(body: string | Buffer, secret: string, opts: SignOptions = {}): Record<string, string> {
  const timestamp = String(opts.timestamp ?? nowSeconds());
  return {
    'content-type': opts.contentType ?? 'application/json',
    'x-webhook-timestamp': timestamp,
    'x-webhook-signature-256': `sha256=${hmacHex(secret, timestamp, body)}`,
    ...(opts.id !== undefined && { 'x-webhook-id': opts.id }),
  };
}

/**
 * Headers for a request signed with the Standard Webhooks scheme: webhook-signature =
 * "v1," + base64 HMAC-SHA256(base64-decoded part of "whsec_…", `${id}.${timestamp}.${body}`).
 */
export function standardSignedHeaders(
  body: string | Buffer,
  whsecSecret: string,
  opts: SignOptions & { id: string },
): Record<string, string> {
  const timestamp = String(opts.timestamp ?? nowSeconds());
  const key = Buffer.from(whsecSecret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key)
    .update(Buffer.concat([Buffer.from(`${opts.id}.${timestamp}.`), Buffer.from(body)]))
    .digest('base64');
  return {
    'content-type': opts.contentType ?? 'application/json',
    'webhook-id': opts.id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${mac}`,
  };
}
