import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import type { EventType } from '../events/event-catalog';
import { REDIS, RedisClient } from '../redis/redis.module';
import { deliveryQueueName, PartitionKey, partitionOf } from './queue-partitions';
import { DeliveryJobData, DeliveryJobName, deliveryJobOptions } from './queue.constants';
import { QueueConnections } from './queue.connection';

export interface QueueableEvent extends PartitionKey {
  id: string;
  eventType: EventType;
  priority: number;
}

export type DeliveryQueue = Queue<DeliveryJobData, unknown, DeliveryJobName>;

/** A job's fate as the relay sees it: `misplaced` = waiting in a partition no longer in use (QUEUE_PARTITIONS was lowered). */
export type JobLiveness = 'live' | 'dead' | 'missing' | 'misplaced';

/** The largest QUEUE_PARTITIONS any process has used, kept in Redis so partitions given up are still looked into. */
const RAISE_SCRIPT = `local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) return tonumber(ARGV[1]) end
return current`;

/**
 * The only code that adds, finds or removes delivery jobs. Deliveries are spread over
 * QUEUE_PARTITIONS queues by (subscription, entity) (queue-partitions.ts); with one partition this
 * is the single `webhook-deliveries` queue. A job is looked for in its own partition first, then
 * in the others (QUEUE_PARTITIONS may have changed since it was added).
 */
@Injectable()
export class WebhookQueueService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookQueueService.name);
  /** The partitions in use, 0 … QUEUE_PARTITIONS − 1. */
  readonly partitions: DeliveryQueue[];
  /** Partitions above QUEUE_PARTITIONS that some process used: emptied by the relay, never added to. */
  private retired: DeliveryQueue[] = [];
  private readonly registryKey: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly connections: QueueConnections,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {
    this.partitions = Array.from({ length: config.queue.partitions }, (_, p) => this.open(p));
    this.registryKey = `${config.redis.queuePrefix}:delivery-partitions`;
  }

  /** Partition 0: the single queue when QUEUE_PARTITIONS=1. */
  get queue(): DeliveryQueue {
    return this.partition(0);
  }

  /** Every partition that may hold jobs: those in use, then those given up that still may. */
  get all(): DeliveryQueue[] {
    return [...this.partitions, ...this.retired];
  }

  onModuleInit(): void {
    // Not awaited: with Redis down at start-up the relay's next pass registers the partitions.
    void this.refreshPartitions().catch((err: unknown) => this.logger.debug({ err }, 'Could not register the queue partitions yet'));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.all.map((q) => q.close().catch(() => undefined)));
  }

  /**
   * Records this process's partition count in Redis (the largest one any process used) and opens
   * the partitions above ours that may still hold jobs. Run at start and by the relay.
   */
  async refreshPartitions(): Promise<void> {
    const reply = await this.redis.eval(RAISE_SCRIPT, 1, this.registryKey, this.partitions.length);
    const used = Number(reply);
    for (let p = this.partitions.length + this.retired.length; p < used; p++) this.retired.push(this.open(p));
  }

  /**
   * Partitions given up (QUEUE_PARTITIONS lowered) that hold no job any more stop being looked
   * into, here and (through the registry) in every process started from now on.
   */
  async forgetEmptyRetired(): Promise<void> {
    if (this.retired.length === 0) return;
    const counts = await Promise.all(
      this.retired.map((q) => q.getJobCountByTypes('waiting', 'prioritized', 'active', 'delayed', 'waiting-children')),
    );
    if (counts.some((n) => n > 0)) return;
    await this.redis.set(this.registryKey, String(this.partitions.length));
    const gone = this.retired.splice(0);
    await Promise.all(gone.map((q) => q.close().catch(() => undefined)));
    this.logger.log({ partitions: this.partitions.length }, 'Delivery queue partitions given up are empty');
  }

  /** Adds one job per event, in its partition, with `jobId` = the delivery id, so adding twice is harmless. */
  async enqueue(events: QueueableEvent[]): Promise<void> {
    if (events.length === 0) return;
    const retries = this.config.webhook.retryDelaysMs.length;
    const byPartition = new Map<number, QueueableEvent[]>();
    for (const e of events) {
      const p = partitionOf(e, this.partitions.length);
      const group = byPartition.get(p);
      if (group) group.push(e);
      else byPartition.set(p, [e]);
    }
    await Promise.all(
      [...byPartition].map(([p, group]) =>
        this.partition(p).addBulk(
          group.map((e) => ({ name: e.eventType, data: { id: e.id }, opts: deliveryJobOptions(e.id, e.priority, retries) })),
        ),
      ),
    );
  }

  /**
   * The state of each delivery's job, for the relay: `live` (waiting, delayed, active: it will
   * run), `dead` (completed or failed: it will not run again), `misplaced` (waiting in a
   * partition given up) or `missing`.
   */
  async liveness(keys: PartitionKey[]): Promise<Map<string, JobLiveness>> {
    const found = await Promise.all(keys.map((k) => this.locate(k)));
    return new Map(
      keys.map((k, i) => {
        const hit = found[i];
        if (!hit) return [k.id, 'missing'];
        if (hit.state === 'completed' || hit.state === 'failed') return [k.id, 'dead'];
        return [k.id, hit.partition >= this.partitions.length && hit.state !== 'active' ? 'misplaced' : 'live'];
      }),
    );
  }

  /** Removes every given job that is not active, wherever it is; returns the ids that could not be removed (active, locked by a worker). */
  async removeMany(ids: string[]): Promise<string[]> {
    const queues = this.all;
    const results = await Promise.all(ids.map((id) => Promise.all(queues.map((q) => q.remove(id)))));
    return ids.filter((_, i) => results[i]?.some((r) => r !== 1));
  }

  /**
   * Moves these jobs from the delayed set to the queue now (a `per_entity` delivery whose
   * predecessor just finished). A job that is not delayed (or not there) is left as it is.
   */
  async promote(keys: PartitionKey[]): Promise<void> {
    await Promise.all(
      keys.map(async (key) => {
        const hit = await this.locate(key);
        if (hit?.state !== 'delayed') return;
        const job = await Job.fromId(hit.queue, key.id);
        await job?.promote().catch(() => undefined);
      }),
    );
  }

  /** BullMQ's state of one delivery's job (`unknown` when Redis has no such job). */
  async jobState(key: string | PartitionKey): Promise<string> {
    const hit = await this.locate(typeof key === 'string' ? { id: key } : key);
    return hit?.state ?? 'unknown';
  }

  /** How many jobs are in each BullMQ state, over every partition. */
  async counts(): Promise<Record<string, number>> {
    return sumCounts(await this.countsPerPartition());
  }

  /** The counts of each partition in use, in partition order. */
  countsPerPartition(): Promise<Record<string, number>[]> {
    return Promise.all(this.partitions.map((q) => q.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed')));
  }

  /** Worker connections over the partitions in use (a worker process holds one per partition it consumes). */
  async workerCount(): Promise<number> {
    const counts = await Promise.all(this.partitions.map((q) => q.getWorkersCount()));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Stops every worker process from taking new jobs (queue-level, stored in Redis); active jobs finish. */
  async pause(): Promise<void> {
    await Promise.all(this.partitions.map((q) => q.pause()));
  }

  async resume(): Promise<void> {
    await Promise.all(this.partitions.map((q) => q.resume()));
  }

  /** Paused when any partition is (pause and resume act on all of them). */
  async isPaused(): Promise<boolean> {
    const paused = await Promise.all(this.partitions.map((q) => q.isPaused()));
    return paused.some(Boolean);
  }

  private open(partition: number): DeliveryQueue {
    const queue: DeliveryQueue = new Queue(deliveryQueueName(partition, this.connections.cluster), {
      connection: this.connections.forQueues(),
      prefix: this.config.redis.queuePrefix,
    });
    // Connection errors surface through health checks and failed publishes; never as unhandled events.
    queue.on('error', (error) => this.logger.debug({ err: error, partition }, 'Delivery queue connection error'));
    return queue;
  }

  private partition(p: number): DeliveryQueue {
    const queue = this.partitions[p];
    if (!queue) throw new RangeError(`No delivery queue partition ${p}`);
    return queue;
  }

  /** Where a job is: its own partition first, then every other one that may hold it. */
  private async locate(key: PartitionKey): Promise<{ queue: DeliveryQueue; partition: number; state: string } | undefined> {
    const queues = this.all;
    const own = partitionOf(key, this.partitions.length);
    const order = [own, ...[...queues.keys()].filter((p) => p !== own)];
    for (const partition of order) {
      const queue = queues[partition];
      if (!queue) continue;
      const state = await queue.getJobState(key.id);
      if (state !== 'unknown') return { queue, partition, state };
    }
    return undefined;
  }
}

/** Job counts added up state by state. */
export function sumCounts(perPartition: Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const counts of perPartition) for (const [state, n] of Object.entries(counts)) total[state] = (total[state] ?? 0) + n;
  return total;
}
