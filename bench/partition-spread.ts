/**
 * How the jobs spread over the delivery queue partitions: counts the `completed` events of each
 * partition's BullMQ event stream as they come (the completed sets themselves are trimmed), over
 * one connection of its own, and counts the commands it sends so they can be taken out of the
 * run's Redis figures.
 */
import { Redis } from 'ioredis';

export interface SpreadCounter {
  /** XREAD calls sent so far. */
  commands(): number;
  /** Stops reading; `completed` per partition, in partition order. */
  stop(): Promise<number[]>;
}

export async function spreadCounter(redisUrl: string, prefix: string, queueNames: string[]): Promise<SpreadCounter> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const keys = queueNames.map((name) => `${prefix}:${name}:events`);
  // Start after the last entry already there (the warm-up's).
  const ids = await Promise.all(keys.map(async (key) => (await redis.xrevrange(key, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0'));
  const completed = keys.map(() => 0);
  let sent = 0;
  const stopped = new AbortController();
  /** Reads what came since the last read (waiting up to 200 ms for something when `block`); false when nothing came. */
  const read = async (block: boolean): Promise<boolean> => {
    sent++;
    const reply = await (block
      ? redis.xread('COUNT', 5000, 'BLOCK', 200, 'STREAMS', ...keys, ...ids)
      : redis.xread('COUNT', 5000, 'STREAMS', ...keys, ...ids));
    for (const [key, entries] of reply ?? []) {
      const p = keys.indexOf(key);
      for (const [id, fields] of entries) {
        ids[p] = id;
        for (let i = 0; i < fields.length; i += 2) if (fields[i] === 'event' && fields[i + 1] === 'completed') completed[p]!++;
      }
    }
    return !!reply?.length;
  };
  const loop = (async () => {
    while (!stopped.signal.aborted) await read(true);
  })();
  return {
    commands: () => sent,
    stop: async () => {
      stopped.abort();
      await loop;
      while (await read(false));
      redis.disconnect();
      return completed;
    },
  };
}
