import { partitionOf } from '../../src/queue/queue-partitions';
import { DeliveryStateReader } from '../support/delivery-state';
import { ReceivedRequest } from '../support/receiver';
import { webhookId } from '../chaos/scripted-replies';

/** At most this many problems are listed in a failure message (then how many more). */
const SHOWN = 25;

function listed(problems: string[]): string[] {
  return problems.length <= SHOWN ? problems : [...problems.slice(0, SHOWN), `… and ${problems.length - SHOWN} more`];
}

/** A delivery of one subscription, with its place in its entity's chain. */
export interface ChainedDelivery {
  id: string;
  eventId: string;
  subscriptionId: string;
  entityType: string;
  entityId: string;
  afterId: string | null;
}

/** The deliveries of one subscription (`per_entity`: `after_id` links each to its entity's previous one). */
export function chainedDeliveries(reader: DeliveryStateReader, subscriptionId: string): Promise<ChainedDelivery[]> {
  return reader.query<ChainedDelivery>(
    `SELECT id, event_id AS "eventId", subscription_id AS "subscriptionId", entity_type AS "entityType", entity_id AS "entityId",
        after_id AS "afterId" FROM webhook_queue
      WHERE subscription_id = $1 ORDER BY created_at, id`,
    [subscriptionId],
  );
}

/**
 * Per entity, its event ids in commit order: each chain followed from its head (a delivery with
 * no predecessor among these) through `after_id`. An entity whose chain does not reach all its
 * deliveries is reported by `orderProblems`.
 */
export function commitOrder(deliveries: ChainedDelivery[]): Map<string, string[]> {
  const next = new Map<string, ChainedDelivery>();
  const ids = new Set(deliveries.map((d) => d.id));
  for (const d of deliveries) if (d.afterId && ids.has(d.afterId)) next.set(d.afterId, d);
  const order = new Map<string, string[]>();
  for (const head of deliveries.filter((d) => !d.afterId || !ids.has(d.afterId))) {
    const list = order.get(head.entityId) ?? [];
    for (let d: ChainedDelivery | undefined = head; d; d = next.get(d.id)) list.push(d.eventId);
    order.set(head.entityId, list);
  }
  return order;
}

/**
 * Per entity, the receiver's requests against the commit order: a request for an event whose
 * predecessor had not been accepted yet is out of order; a request for an event already accepted
 * is a redelivery. Lists every entity out of order, every chain that does not cover its entity's
 * deliveries, every request for an event of no chain.
 */
export function orderProblems(
  deliveries: ChainedDelivery[],
  requests: ReceivedRequest[],
  accepted: (r: ReceivedRequest) => boolean,
): { problems: string[]; redeliveries: number } {
  const order = commitOrder(deliveries);
  const problems: string[] = [];
  const perEntity = new Map<string, number>();
  for (const d of deliveries) perEntity.set(d.entityId, (perEntity.get(d.entityId) ?? 0) + 1);
  for (const [entity, count] of perEntity) {
    const chained = order.get(entity)?.length ?? 0;
    if (chained !== count) problems.push(`${entity}: its chain links ${chained} of its ${count} deliveries`);
  }
  const rank = new Map<string, { entity: string; index: number }>();
  for (const [entity, ids] of order) ids.forEach((id, index) => rank.set(id, { entity, index }));
  const head = new Map<string, number>();
  let redeliveries = 0;
  for (const r of requests) {
    const place = rank.get(webhookId(r));
    if (!place) {
      problems.push(`${webhookId(r)}: received, but no delivery of the subscription has this event`);
      continue;
    }
    const at = head.get(place.entity) ?? 0;
    if (place.index < at) redeliveries++;
    else if (place.index > at) problems.push(`${place.entity}: event #${place.index + 1} sent while #${at + 1} was not accepted`);
    else if (accepted(r)) head.set(place.entity, at + 1);
  }
  return { problems: listed(problems), redeliveries };
}

/** How the deliveries went through the partitions, from the ids of the jobs each partition completed. */
export interface PartitionSpread {
  /** Deliveries completed by each partition. */
  perPartition: number[];
  /** Deliveries found in no partition's completed jobs. */
  notFound: number;
  /** Entities whose deliveries went through more than one partition. */
  splitEntities: string[];
  /** Deliveries completed in another partition than the one (subscription, entity) hashes to. */
  misplaced: string[];
}

/**
 * Job ids are delivery ids: counts, per partition, the given deliveries among its completed jobs, and
 * checks each against the partition its (subscription, entity) hashes to (src/queue/queue-partitions.ts).
 */
export function partitionSpread(completedJobIds: string[][], deliveries: ChainedDelivery[]): PartitionSpread {
  const partitionOfJob = new Map<string, number>();
  completedJobIds.forEach((ids, p) => ids.forEach((id) => partitionOfJob.set(id, p)));
  const perPartition = completedJobIds.map(() => 0);
  const entityPartitions = new Map<string, Set<number>>();
  const misplaced: string[] = [];
  let notFound = 0;
  for (const d of deliveries) {
    const p = partitionOfJob.get(d.id);
    if (p === undefined) {
      notFound++;
      continue;
    }
    perPartition[p]!++;
    const expected = partitionOf(d, completedJobIds.length);
    if (p !== expected) misplaced.push(`${d.id} (entity ${d.entityId}): completed in partition ${p}, hashes to ${expected}`);
    const seen = entityPartitions.get(d.entityId) ?? new Set<number>();
    seen.add(p);
    entityPartitions.set(d.entityId, seen);
  }
  const splitEntities = [...entityPartitions].filter(([, ps]) => ps.size > 1).map(([e, ps]) => `${e}: partitions ${[...ps].join(',')}`);
  return { perPartition, notFound, splitEntities: listed(splitEntities), misplaced: listed(misplaced) };
}
