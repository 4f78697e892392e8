import { BeforeApplicationShutdown, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { QueueableEvent, WebhookQueueService } from '../queue/webhook-queue.service';

/** How long shutdown waits for publishes already started (counted from the first shutdown hook). */
const PUBLISH_DRAIN_MS = 5000;

/**
 * Moves committed outbox rows into the BullMQ queue (`jobId` = row id, so publishing twice is
 * harmless). Rows committed in the same tick are published with one `addBulk`. The rows are not
 * written: they stay `pending` until a worker claims them, or until the relay, a second later,
 * finds their jobs in the queue and marks them `queued` (or queues the ones Redis does not have:
 * the publish failed, Redis down, or the process died before it).
 */
@Injectable()
export class OutboxPublisher implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxPublisher.name);
  private batch: QueueableEvent[] = [];
  private scheduled = false;
  private inFlight = new Set<Promise<void>>();
  private draining?: Promise<void>;

  constructor(private readonly queue: WebhookQueueService) {}

  publishSoon(events: QueueableEvent[]): void {
    this.batch.push(...events);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const events = this.batch;
      this.batch = [];
      const run = this.publish(events).catch((error: unknown) =>
        this.logger.warn({ err: error, events: events.length }, 'Could not publish outbox rows now; the relay will retry'),
      );
      this.inFlight.add(run);
      void run.finally(() => this.inFlight.delete(run));
    });
  }

  /** Adds the events' jobs to the queue (the after-commit publish, and the relay's). */
  async publish(events: QueueableEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.queue.enqueue(events);
  }

  /** Shutdown has begun: rows committed in the last tick still reach the queue, within PUBLISH_DRAIN_MS. */
  onModuleDestroy(): void {
    this.draining ??= this.settleWithin(PUBLISH_DRAIN_MS);
  }

  /** Runs before the queue and the database connections close (their onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    await (this.draining ??= this.settleWithin(PUBLISH_DRAIN_MS));
  }

  /** Waits for publishes already scheduled or started (each failure is logged by publishSoon; the relay retries). */
  async settle(): Promise<void> {
    while (this.scheduled || this.inFlight.size) {
      await new Promise((r) => setImmediate(r));
      await Promise.all([...this.inFlight]);
    }
  }

  private async settleWithin(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), ms);
      timer.unref();
    });
    const outcome = await Promise.race([this.settle().then(() => 'done' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'late')
      this.logger.warn({ waited_ms: ms }, 'Shutting down with outbox rows still being published; left pending for the relay');
  }
}
