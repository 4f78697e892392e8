import { isRealTimestamp } from '../common/validation/real-timestamp';

/**
 * The opaque `cursor` of `GET /api/v1/webhooks/queue/deliveries`: base64url of the last row's
 * `(created_at, id)` keyset position. `created_at` travels as Postgres printed it (microseconds
 * included) so the next page starts exactly after that row.
 */
export interface DeliveryCursor {
  createdAt: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(cursor: DeliveryCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id]), 'utf8').toString('base64url');
}

/**
 * The position in a cursor, or undefined when it is not one this API issued. The time must be a
 * real one (the shared admin-API rule): a forged `2026-02-30` is a 400, not a database error.
 */
export function decodeCursor(value: string): DeliveryCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(value)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
    const [createdAt, id] = parsed as unknown[];
    if (typeof createdAt !== 'string' || typeof id !== 'string' || !isRealTimestamp(createdAt) || !UUID.test(id)) return undefined;
    return { createdAt, id };
  } catch {
    return undefined;
  }
}
