import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { QueueableEvent, WebhookQueueService } from '../queue/webhook-queue.service';

/**
 * Moves committed outbox rows into the BullMQ queue (`jobId` = row id, so publishing twice is
 * harmless) and marks them `queued`. Rows committed in the same tick are published with one
 * `addBulk`. A failure (Redis down) leaves the rows `pending` for the relay to pick up.
 */
@Injectable()
export class OutboxPublisher {
  private readonly logger = new Logger(OutboxPublisher.name);
  private batch: QueueableEvent[] = [];
  private scheduled = false;
  private inFlight = new Set<Promise<void>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queue: WebhookQueueService,
  ) {}

  publishSoon(events: QueueableEvent[]): void {
    this.batch.push(...events);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const events = this.batch;
      this.batch = [];
      const run = this.publish(events).catch((error) =>
        this.logger.warn({ err: error, events: events.length }, 'Could not publish outbox rows now; the relay will retry'),
      );
      this.inFlight.add(run);
      void run.finally(() => this.inFlight.delete(run));
    });
  }

  /** Enqueues the events and marks their rows `queued` (through `manager` when given). */
  async publish(events: QueueableEvent[], manager: EntityManager = this.dataSource.manager): Promise<void> {
    if (events.length === 0) return;
    await this.queue.enqueue(events);
    await manager.query(
      `UPDATE webhook_queue SET status = 'queued', published_at = now(), updated_at = now()
        WHERE id = ANY($1::uuid[]) AND status = 'pending'`,
      [events.map((e) => e.id)],
    );
  }

  /** Waits for publishes already started (used at shutdown and by tests). */
  async settle(): Promise<void> {
    while (this.scheduled || this.inFlight.size) {
      await new Promise((r) => setImmediate(r));
      await Promise.all([...this.inFlight]);
    }
  }
}
