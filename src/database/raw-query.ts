/**
 * TypeORM's postgres driver answers a raw UPDATE/DELETE … RETURNING with `[rows, affected]`
 * and a SELECT with `rows`; this returns the rows either way.
 */
export function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
