import calculateSlot from 'cluster-key-slot';
import { CLUSTER_SLOTS, deliveryQueueName, partitionOf } from './queue-partitions';

/** The master owning `slot` when `shards` masters split the slot range evenly (redis-cli --cluster create). */
function shardOf(slot: number, shards: number): number {
  return Math.min(shards - 1, Math.floor((slot * shards) / CLUSTER_SLOTS));
}

function slotOfQueue(partition: number): number {
  return calculateSlot(`bridge:${deliveryQueueName(partition, true)}:wait`);
}

describe('delivery queue partitions', () => {
  it('keeps the single queue name for partition 0 on one Redis, and a hash tag per partition on a cluster', () => {
    expect(deliveryQueueName(0, false)).toBe('webhook-deliveries');
    expect(deliveryQueueName(3, false)).toBe('webhook-deliveries-3');
    expect(deliveryQueueName(0, true)).toMatch(/^webhook-deliveries\{d0\.\d+\}$/);
    // Every key of one partition hashes to one slot, whatever follows the queue name.
    const name = deliveryQueueName(2, true);
    expect(calculateSlot(`bridge:${name}:wait`)).toBe(calculateSlot(`other:${name}:123:lock`));
  });

  it('puts every partition in its own slot, spread evenly over the masters of an evenly split cluster', () => {
    const slots = Array.from({ length: 64 }, (_, p) => slotOfQueue(p));
    expect(new Set(slots).size).toBe(64);
    const perShard = (partitions: number, shards: number) => {
      const counts = new Array<number>(shards).fill(0);
      for (const s of slots.slice(0, partitions)) counts[shardOf(s, shards)] = (counts[shardOf(s, shards)] ?? 0) + 1;
      return counts;
    };
    expect(perShard(6, 3)).toEqual([2, 2, 2]);
    expect(perShard(6, 2)).toEqual([3, 3]);
    expect(perShard(6, 6)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(perShard(12, 3)).toEqual([4, 4, 4]);
    expect(perShard(12, 4)).toEqual([3, 3, 3, 3]);
    expect(perShard(4, 2)).toEqual([2, 2]);
  });

  it('sends every delivery of one entity and subscription to one partition, and spreads entities over all', () => {
    const key = (entityId: string, id: string) => ({ id, subscriptionId: 's1', entityType: 'lead', entityId });
    expect(partitionOf(key('lead-1', 'a'), 6)).toBe(partitionOf(key('lead-1', 'b'), 6));
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 6000; i++) {
      const p = partitionOf(key(`lead-${i}`, String(i)), 6);
      counts[p] = (counts[p] ?? 0) + 1;
    }
    for (const n of counts) expect(n).toBeGreaterThan(800);
    expect(partitionOf(key('lead-1', 'a'), 1)).toBe(0);
    expect(partitionOf({ id: 'no-entity' }, 6)).toBe(partitionOf({ id: 'no-entity' }, 6));
  });
});
