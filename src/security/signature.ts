import { createHmac, KeyObject, timingSafeEqual } from 'node:crypto';

/** An HMAC key: a string (used as UTF-8), raw bytes, or a prepared KeyObject (fastest for repeated use). */
export type HmacKey = string | Buffer | KeyObject;

/**
 * The wire format, as pure functions (no Nest, no config) so it can be unit-tested and
 * benchmarked in isolation. `verify-signature.ts` builds the verification procedure on these.
 */

/** Header names of the default `hmac-sha256` scheme (Node lower-cases incoming names). */
export const HMAC_HEADERS = {
  id: 'x-webhook-id',
  timestamp: 'x-webhook-timestamp',
  signature: 'x-webhook-signature-256',
  event: 'x-webhook-event',
  attempt: 'x-webhook-attempt',
} as const;

/** Header names of the Standard Webhooks scheme (https://www.standardwebhooks.com). */
export const STANDARD_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

export const HMAC_PREFIX = 'sha256=';
export const STANDARD_SECRET_PREFIX = 'whsec_';
const DIGEST_BYTES = 32;

const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;
/** Canonical base64 of 32 bytes: 43 characters and one `=` pad. */
const BASE64_DIGEST = /^[A-Za-z0-9+/]{43}=$/;
const SIGNATURE_ENTRY = /^(v[0-9]+[a-z]*),([^,\s]*)$/;
/** Unix seconds: at most 12 decimal digits (year 33658), no sign, no fraction, no spaces. */
const UNIX_SECONDS = /^[0-9]{1,12}$/;
/** A delivery id: 1-255 printable ASCII characters without spaces or commas (a comma means a joined duplicate). */
const DELIVERY_ID = /^[\x21-\x2b\x2d-\x7e]{1,255}$/;

/** HMAC-SHA256 bytes of `<timestamp>.<body>`; a string secret is used as its UTF-8 bytes. */
export function hmacSignatureBytes(secret: HmacKey, timestamp: string | number, body: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(body).digest();
}

/** Hex HMAC-SHA256 of `<timestamp>.<body>`, what `X-Webhook-Signature-256` carries after `sha256=`. */
export function hmacSignatureHex(secret: HmacKey, timestamp: string | number, body: Buffer | string): string {
  return hmacSignatureBytes(secret, timestamp, body).toString('hex');
}

/** `sha256=<hex>`, the value of `X-Webhook-Signature-256`. */
export function formatHmacSignature(hex: string): string {
  return `${HMAC_PREFIX}${hex}`;
}

/**
 * Parses `sha256=<64 hex digits>` into the 32 digest bytes, or null when malformed.
 * The prefix is case-sensitive; the hex digits are not (they decode to the same bytes).
 */
export function parseHmacSignature(value: string): Buffer | null {
  if (!value.startsWith(HMAC_PREFIX)) return null;
  const hex = value.slice(HMAC_PREFIX.length);
  return HEX_DIGEST.test(hex) ? Buffer.from(hex, 'hex') : null;
}

/** The HMAC key of a Standard Webhooks secret: the base64-decoded part after `whsec_`. */
export function decodeStandardSecret(secret: string): Buffer {
  const encoded = secret.startsWith(STANDARD_SECRET_PREFIX) ? secret.slice(STANDARD_SECRET_PREFIX.length) : secret;
  return Buffer.from(encoded, 'base64');
}

/** The 32 HMAC-SHA256 bytes over `<id>.<timestamp>.<body>`, as Standard Webhooks signs. */
export function standardSignatureBytes(key: HmacKey, id: string, timestamp: string | number, body: Buffer | string): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`, 'utf8').update(body).digest();
}

/** `v1,<base64>`, the value of `webhook-signature` for one key. */
export function formatStandardSignature(digest: Buffer): string {
  return `v1,${digest.toString('base64')}`;
}

/**
 * Parses a `webhook-signature` header (space-separated `<version>,<base64>` entries) into the
 * `v1` digests it carries. Returns null when any entry is malformed (a comma-joined duplicate
 * header is one) or when no `v1` entry is present; entries of other versions are skipped.
 */
export function parseStandardSignatures(value: string): Buffer[] | null {
  const entries = value.split(' ').filter((entry) => entry !== '');
  if (entries.length === 0) return null;
  const digests: Buffer[] = [];
  for (const entry of entries) {
    const match = SIGNATURE_ENTRY.exec(entry);
    if (!match) return null;
    const [, version, digest = ''] = match;
    if (version !== 'v1') continue;
    if (!BASE64_DIGEST.test(digest)) return null;
    digests.push(Buffer.from(digest, 'base64'));
  }
  return digests.length > 0 ? digests : null;
}

/** Unix seconds from a timestamp header, or null unless it is a plain non-negative decimal integer. */
export function parseTimestamp(value: string): number | null {
  return UNIX_SECONDS.test(value) ? Number(value) : null;
}

export function isValidDeliveryId(value: string): boolean {
  return DELIVERY_ID.test(value);
}

/** Constant-time equality of two digests (false, without comparing, when the lengths differ). */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === DIGEST_BYTES && b.length === DIGEST_BYTES && timingSafeEqual(a, b);
}
