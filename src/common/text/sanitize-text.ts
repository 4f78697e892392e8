/**
 * Text from outside (a receiver's answer, a callback's fields, request headers, an error message
 * quoting either) made storable by Postgres before it is written. Postgres refuses, for the whole
 * statement: NUL in `text` ("invalid byte sequence for encoding UTF8: 0x00") and in `jsonb`
 * (`\u0000`), and unpaired UTF-16 surrogates in `jsonb` (node-postgres turns them into U+FFFD in
 * `text`, but JSON.stringify writes them as `\udXXX` escapes, which `jsonb` rejects). One bad
 * character would otherwise fail a whole multi-row batch. Pure functions, no dependencies.
 */

/** What replaces a character Postgres cannot store, and bytes that are not UTF-8. */
export const REPLACEMENT_CHAR = '\uFFFD';

/** How long stored texts may be, in UTF-16 code units (JavaScript string length). */
export const TEXT_LIMITS = {
  /** Request and response bodies. */
  body: 8 * 1024,
  /** Error messages and refusal reasons. */
  reason: 2000,
  /** Everything else: ids, paths, header values, event and entity names. */
  field: 1024,
} as const;

/**
 * ES2024 string methods (Node ≥ 20), beyond the project's `lib`: native, so the common case — no
 * NUL, no unpaired surrogate — costs a scan of the string and no copy.
 */
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/**
 * `value` with NUL and unpaired surrogates replaced by U+FFFD (same length), cut to `max` code
 * units when longer (never between the two halves of a pair) and marked `…[truncated N chars]`.
 */
export function sanitizeText(value: string, max = Number.POSITIVE_INFINITY): string {
  let clean = value.includes('\u0000') ? value.replaceAll('\u0000', REPLACEMENT_CHAR) : value;
  // toWellFormed replaces each unpaired surrogate with U+FFFD.
  if (!(clean as unknown as WellFormedString).isWellFormed()) clean = (clean as unknown as WellFormedString).toWellFormed();
  if (clean.length <= max) return clean;
  let end = Math.max(0, Math.floor(max));
  if (end > 0 && isHighSurrogate(clean.charCodeAt(end - 1))) end--;
  return `${clean.slice(0, end)}…[truncated ${clean.length - end} chars]`;
}

/** `sanitizeText` for optional columns: undefined and null become null. */
export function sanitizeNullableText(value: string | null | undefined, max?: number): string | null {
  return value === undefined || value === null ? null : sanitizeText(value, max);
}

/**
 * Bytes as storable text: invalid UTF-8 (and a character cut at the end) becomes U+FFFD, never
 * an exception, then `sanitizeText`.
 */
export function decodeText(bytes: Uint8Array, max?: number): string {
  return sanitizeText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), max);
}

/**
 * A JSON value for a `jsonb` column with every key and string storable, strings bounded by
 * `maxString`. Objects are copied, never changed in place; non-JSON values pass through.
 */
export function sanitizeJson<T>(value: T, maxString: number = TEXT_LIMITS.field): T {
  return clean(value, maxString) as T;
}

function clean(value: unknown, max: number): unknown {
  if (typeof value === 'string') return sanitizeText(value, max);
  if (Array.isArray(value)) return value.map((v) => clean(v, max));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[sanitizeText(k, max)] = clean(v, max);
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
