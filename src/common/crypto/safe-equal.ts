import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a presented secret (token, user name, password) with the expected one in constant
 * time: both are hashed first (SHA-256), so neither their contents nor their lengths show in
 * the time taken.
 */
export function safeEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
