import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import type { EventType } from '../events/event-catalog';
import { DELIVERY_QUEUE, DeliveryJobData, DeliveryJobName, deliveryJobOptions } from './queue.constants';

export interface QueueableEvent {
  id: string;
  eventType: EventType;
  priority: number;
}

/** The only code that adds, finds or removes delivery jobs. */
@Injectable()
export class WebhookQueueService {
  private readonly logger = new Logger(WebhookQueueService.name);

  constructor(
    @InjectQueue(DELIVERY_QUEUE) readonly queue: Queue<DeliveryJobData, unknown, DeliveryJobName>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    // Connection errors surface through health checks and failed publishes; never as unhandled events.
    queue.on('error', (error) => this.logger.debug({ err: error }, 'Delivery queue connection error'));
  }

  /** Adds one job per event with `jobId` = the event id, so adding twice is harmless. */
  async enqueue(events: QueueableEvent[]): Promise<void> {
    if (events.length === 0) return;
    const retries = this.config.webhook.retryDelaysMs.length;
    await this.queue.addBulk(
      events.map((e) => ({ name: e.eventType, data: { id: e.id }, opts: deliveryJobOptions(e.id, e.priority, retries) })),
    );
  }

  /**
   * The state of each id's job, for the relay: `live` (waiting, delayed, active: it will run),
   * `dead` (completed or failed: it will not run again) or `missing`.
   */
  async liveness(ids: string[]): Promise<Map<string, 'live' | 'dead' | 'missing'>> {
    const states = await Promise.all(ids.map((id) => this.queue.getJobState(id)));
    return new Map(
      ids.map((id, i) => {
        const state = states[i];
        return [id, state === 'unknown' ? 'missing' : state === 'completed' || state === 'failed' ? 'dead' : 'live'];
      }),
    );
  }

  /** Removes every given job that is not active; returns the ids that could not be removed (active, locked by a worker). */
  async removeMany(ids: string[]): Promise<string[]> {
    const results = await Promise.all(ids.map((id) => this.queue.remove(id)));
    return ids.filter((_, i) => results[i] !== 1);
  }

  /**
   * Moves these jobs from the delayed set to the queue now (a `per_entity` delivery whose
   * predecessor just finished). A job that is not delayed (or not there) is left as it is.
   */
  async promote(ids: string[]): Promise<void> {
    await Promise.all(
      ids.map(async (id) => {
        const job = await this.queue.getJob(id);
        if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
      }),
    );
  }

  /** BullMQ's state of one job (`unknown` when Redis has no such job). */
  jobState(id: string): Promise<string> {
    return this.queue.getJobState(id);
  }

  /** How many jobs are in each BullMQ state. */
  counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed');
  }

  /** Stops every worker process from taking new jobs (queue-level, stored in Redis); active jobs finish. */
  pause(): Promise<void> {
    return this.queue.pause();
  }

  resume(): Promise<void> {
    return this.queue.resume();
  }

  isPaused(): Promise<boolean> {
    return this.queue.isPaused();
  }
}
