import { createHash } from 'node:crypto';

/**
 * The Redis key of an arbitrary text (a target URL…): `prefix` followed by the first 32 hex digits
 * of its SHA-256, so keys stay short and never carry the text itself (credentials in a URL).
 */
export function hashedKey(prefix: string, text: string): string {
  return `${prefix}${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
}
