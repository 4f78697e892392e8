import { createSecretKey, KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { SignatureScheme } from '../config/app-config';
import {
  decodeStandardSecret,
  digestsEqual,
  HMAC_HEADERS,
  HmacKey,
  hmacSignatureBytes,
  isValidDeliveryId,
  parseHmacSignature,
  parseStandardSignatures,
  parseTimestamp,
  STANDARD_HEADERS,
  standardSignatureBytes,
} from './signature';

export const VERIFICATION_FAILURES = [
  'signature_missing',
  'signature_malformed',
  'signature_mismatch',
  'timestamp_missing',
  'timestamp_out_of_tolerance',
] as const;

export type VerificationFailure = (typeof VERIFICATION_FAILURES)[number];

export type VerificationResult =
  | {
      ok: true;
      /** The delivery id header, when given (always present in the standard-webhooks scheme). */
      id?: string;
      timestamp: number;
      /** Which configured secret matched (0 = the current one; higher = an older one kept for rotation). */
      secretIndex: number;
      /** Lower-case hex of the matching digest: identifies the signed content, used as the replay key. */
      digest: string;
    }
  | { ok: false; reason: VerificationFailure };

export interface VerificationInput {
  scheme: SignatureScheme;
  /** HMAC keys in configuration order: a secret's UTF-8 bytes (hmac-sha256) or its decoded `whsec_` part (see `keysFor`). */
  keys: readonly HmacKey[];
  toleranceSeconds: number;
  body: Buffer;
  headers: IncomingHttpHeaders | Record<string, unknown>;
  /** Unix seconds. */
  now: number;
}

type HeaderRead = { kind: 'missing' } | { kind: 'ambiguous' } | { kind: 'one'; value: string };

/**
 * Verifies one request. Never throws: every malformed input maps to a failure reason.
 * Order: signature present → well-formed → id well-formed → timestamp present → in window → digest match.
 */
export function verifySignature(input: VerificationInput): VerificationResult {
  const names = input.scheme === 'standard-webhooks' ? STANDARD_HEADERS : HMAC_HEADERS;
  const signatureHeader = readHeader(input.headers, names.signature);
  if (signatureHeader.kind === 'missing') return fail('signature_missing');
  if (signatureHeader.kind === 'ambiguous') return fail('signature_malformed');
  const candidates = parseCandidates(input.scheme, signatureHeader.value);
  if (!candidates) return fail('signature_malformed');

  const idHeader = readHeader(input.headers, names.id);
  if (idHeader.kind === 'ambiguous' || (idHeader.kind === 'one' && !isValidDeliveryId(idHeader.value))) return fail('signature_malformed');
  const id = idHeader.kind === 'one' ? idHeader.value : undefined;
  // Standard Webhooks signs the id: without it the signed message cannot be rebuilt.
  if (input.scheme === 'standard-webhooks' && id === undefined) return fail('signature_malformed');

  const timestampHeader = readHeader(input.headers, names.timestamp);
  if (timestampHeader.kind === 'missing') return fail('timestamp_missing');
  // A present but unusable timestamp (duplicated, non-numeric, negative, fractional, huge) cannot be placed in the window.
  const timestamp = timestampHeader.kind === 'one' ? parseTimestamp(timestampHeader.value) : null;
  if (timestamp === null || timestampHeader.kind !== 'one' || Math.abs(input.now - timestamp) > input.toleranceSeconds)
    return fail('timestamp_out_of_tolerance');

  for (const [index, key] of input.keys.entries()) {
    const expected =
      input.scheme === 'standard-webhooks'
        ? standardSignatureBytes(key, id as string, timestampHeader.value, input.body)
        : hmacSignatureBytes(key, timestampHeader.value, input.body);
    if (candidates.some((candidate) => digestsEqual(candidate, expected))) {
      return { ok: true, ...(id !== undefined && { id }), timestamp, secretIndex: index, digest: expected.toString('hex') };
    }
  }
  return fail('signature_mismatch');
}

function parseCandidates(scheme: SignatureScheme, value: string): Buffer[] | null {
  if (scheme === 'standard-webhooks') return parseStandardSignatures(value);
  const digest = parseHmacSignature(value);
  return digest ? [digest] : null;
}

/**
 * Reads one header whatever the case of its name. Several values (an array, or the same name
 * in two cases) are ambiguous; Node joins repeated custom headers with ", ", which the strict
 * value formats then refuse. An empty value counts as missing.
 */
// `unknown`, not the declared header type: this runs on whatever a caller passes and must never throw.
function readHeader(headers: unknown, name: string): HeaderRead {
  if (headers === null || typeof headers !== 'object') return { kind: 'missing' };
  const values: unknown[] = [];
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== name) continue;
    const value = (headers as Record<string, unknown>)[key];
    if (Array.isArray(value)) values.push(...(value as unknown[]));
    else if (value !== undefined) values.push(value);
  }
  if (values.length === 0) return { kind: 'missing' };
  if (values.length > 1 || typeof values[0] !== 'string') return { kind: 'ambiguous' };
  return values[0] === '' ? { kind: 'missing' } : { kind: 'one', value: values[0] };
}

function fail(reason: VerificationFailure): VerificationResult {
  return { ok: false, reason };
}

/**
 * The HMAC key of each configured secret: its UTF-8 bytes (hmac-sha256) or its decoded `whsec_`
 * part (standard-webhooks), prepared once as KeyObjects (Node hashes them ~4x faster than Buffers).
 */
export function keysFor(scheme: SignatureScheme, secrets: readonly string[]): KeyObject[] {
  return secrets.map((secret) =>
    createSecretKey(scheme === 'standard-webhooks' ? decodeStandardSecret(secret) : Buffer.from(secret, 'utf8')),
  );
}
