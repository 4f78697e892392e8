import type { InsertEvent, ObjectLiteral, UpdateEvent } from 'typeorm';

/**
 * The (from → to) change of one column in a TypeORM insert or update event. An insert is a
 * change from nothing. Updates made without loading the row first (`repository.update`,
 * query builder) carry no previous state and report no change: save loaded entities.
 */
export function columnChange<E extends ObjectLiteral, K extends keyof E>(
  event: InsertEvent<E> | UpdateEvent<E>,
  column: K,
): { from: E[K] | null; to: E[K] } | undefined {
  const entity = event.entity as E | undefined;
  if (!entity || entity[column] === undefined) return undefined;
  if (!('databaseEntity' in event)) return { from: null, to: entity[column] };
  const before = event.databaseEntity as E | undefined;
  if (!before) return undefined;
  if (before[column] === entity[column]) return undefined;
  return { from: before[column], to: entity[column] };
}
