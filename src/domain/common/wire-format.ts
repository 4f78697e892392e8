import { EntityChanges, Page } from './entity-crud.service';

/**
 * A validated request DTO (snake_case wire names) → entity properties (camelCase),
 * leaving out the fields the client did not send. `null` is kept: it clears a nullable column.
 */
export function toEntityFields<E>(dto: object): EntityChanges<E> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(dto)) {
    if (value !== undefined) fields[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  return fields as EntityChanges<E>;
}

export interface PageResponse<R> {
  items: R[];
  total: number;
  limit: number;
  offset: number;
}

export function toPageResponse<E, R>(page: Page<E>, map: (entity: E) => R): PageResponse<R> {
  return { items: page.items.map(map), total: page.total, limit: page.limit, offset: page.offset };
}
