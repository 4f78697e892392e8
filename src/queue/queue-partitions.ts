import calculateSlot from 'cluster-key-slot';
import { DELIVERY_QUEUE } from './queue.constants';

/** Redis Cluster's hash slots: a queue's keys all live in one of them. */
export const CLUSTER_SLOTS = 16384;

/** What decides a delivery's partition: deliveries of one entity for one subscription share it. */
export interface PartitionKey {
  id: string;
  subscriptionId?: string | null;
  entityType?: string | null;
  entityId?: string | null;
}

/**
 * The name of delivery queue `partition`. Partition 0 keeps the name of the single queue, so
 * QUEUE_PARTITIONS=1 is the layout every earlier release used. On Redis Cluster every BullMQ key
 * of one queue must share a hash slot (its scripts touch several keys), so the name carries a
 * hash tag: `{…}` chosen by `partitionTag` to put each partition in its own slot.
 */
export function deliveryQueueName(partition: number, cluster: boolean): string {
  const base = partition === 0 ? DELIVERY_QUEUE : `${DELIVERY_QUEUE}-${partition}`;
  return cluster ? `${base}{${partitionTag(partition)}}` : base;
}

/**
 * The hash tag of a partition: the first `d<p>.<k>` whose slot lies just after the p-th point of a
 * mixed-radix van der Corput sequence of the slot range (bases 2, 3, then 2: 0, ½, ⅙, ⅔, ⅓, ⅚,
 * 1⁄12, …). The first 6 partitions take one sixth each and the first 12 one twelfth each, so 6 or
 * 12 partitions spread evenly over 2, 3 or 6 masters that own equal slot ranges (12 over 4 too),
 * and a partition's name never depends on how many partitions there are.
 */
export function partitionTag(partition: number): string {
  const target = Math.floor(spreadPoint(partition) * CLUSTER_SLOTS) + 64;
  for (let k = 0; ; k++) {
    const tag = `d${partition}.${k}`;
    const slot = calculateSlot(tag);
    if (slot >= target && slot < target + 128) return tag;
  }
}

const SPREAD_BASES = [2, 3];
const SPREAD_BASE_AFTER = 2;

function spreadPoint(n: number): number {
  let value = 0;
  let denominator = 1;
  for (let rest = n, digit = 0; rest > 0; digit++) {
    const base = SPREAD_BASES[digit] ?? SPREAD_BASE_AFTER;
    denominator *= base;
    value += (rest % base) / denominator;
    rest = Math.floor(rest / base);
  }
  return value;
}

/**
 * A delivery's partition: the slot of (subscription, entity) modulo the partition count, so an
 * entity's deliveries for one subscription go through one queue. A delivery without an entity
 * spreads by its own id. Order itself never depends on it: Postgres holds a `per_entity`
 * delivery back until its predecessor is final, whichever queue either sits in.
 */
export function partitionOf(key: PartitionKey, partitions: number): number {
  if (partitions <= 1) return 0;
  const entity = key.entityId ? `${key.subscriptionId ?? ''}|${key.entityType ?? ''}|${key.entityId}` : key.id;
  return calculateSlot(entity.replace(/[{}]/g, '')) % partitions;
}
