import type { Cluster } from 'ioredis';

export interface ClusterState {
  state: string;
  masters: number;
  replicas: number;
  slots_ok: number;
}

export function isClusterState(value: unknown): value is ClusterState {
  return typeof value === 'object' && value !== null && 'slots_ok' in value;
}

/** CLUSTER INFO as seen by one node, and the nodes the client knows; throws (down) unless the cluster serves every slot. */
export async function clusterState(redis: Cluster): Promise<ClusterState> {
  const info = await redis.cluster('INFO');
  const field = (name: string) => new RegExp(`^${name}:(\\S*)`, 'm').exec(info)?.[1] ?? '';
  const state: ClusterState = {
    state: field('cluster_state'),
    masters: redis.nodes('master').length,
    replicas: redis.nodes('slave').length,
    slots_ok: Number(field('cluster_slots_ok')),
  };
  if (state.state !== 'ok') throw new Error(`Redis Cluster state is ${state.state || 'unknown'} (${state.slots_ok} of 16384 slots served)`);
  return state;
}
