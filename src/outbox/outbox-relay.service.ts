import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { QueueableEvent, WebhookQueueService } from '../queue/webhook-queue.service';
import { DeliveryRepository } from './delivery.repository';
import { OutboxPublisher } from './outbox-publisher.service';

const BATCH = 1000;

/**
 * Re-publishes committed events that are not in the queue: rows still `pending` whose job Redis
 * does not have (Redis was down, the process died between commit and publish) and rows the queue
 * has lost (Redis restarted empty or was flushed). `pending` rows whose job is there are marked
 * `queued`: the after-commit publish does not write the row, so this is where the database
 * learns it. Runs at start-up and every OUTBOX_RELAY_INTERVAL_MS in every process;
 * `FOR UPDATE SKIP LOCKED` keeps concurrent relays off each other's rows.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelayService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private ticks = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly publisher: OutboxPublisher,
    private readonly queue: WebhookQueueService,
    private readonly deliveries: DeliveryRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.config.outbox.relayIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    const lostCheck = this.ticks++ % 5 === 0;
    this.running = this.relay(lostCheck)
      .then(() => undefined)
      .catch((error: unknown) => this.logger.warn({ err: error }, 'Outbox relay pass failed; will retry'))
      .finally(() => (this.running = undefined));
  }

  /** One pass; returns how many events were (re-)published. Public for tests and operators. */
  async relay(checkLost = true): Promise<number> {
    let total = 0;
    for (let seen = BATCH; seen === BATCH;) {
      const pass = await this.publishPending();
      seen = pass.seen;
      total += pass.published;
    }
    if (checkLost) {
      await this.queue.refreshPartitions();
      total += await this.republishLost();
      await this.queue.forgetEmptyRetired();
    }
    if (total > 0) this.logger.log({ events: total }, 'Outbox relay published events');
    return total;
  }

  /**
   * Committed rows not yet seen in the queue (older than a second, so the after-commit publish
   * goes first): those whose job Redis lacks are published, then all are marked `queued`.
   */
  private publishPending(): Promise<{ seen: number; published: number }> {
    return this.dataSource.transaction(async (manager) => {
      const rows = await this.deliveries.unpublished(BATCH, manager);
      if (rows.length === 0) return { seen: 0, published: 0 };
      const published = await this.publishAbsent(rows);
      await this.deliveries.markQueued(
        rows.map((r) => r.id),
        manager,
      );
      return { seen: rows.length, published: published.length };
    });
  }

  /**
   * Rows the database says are in the queue, unchanged for a while, whose job will not run
   * (Redis lost it, BullMQ gave up on it — e.g. stalled too often — or QUEUE_PARTITIONS was
   * lowered): queued again, in their partition.
   */
  private republishLost(): Promise<number> {
    const quietMs = Math.max(2000, this.config.outbox.relayIntervalMs * 2);
    return this.dataSource.transaction(async (manager) => {
      const rows = await this.deliveries.quietInQueue(quietMs, BATCH, manager);
      if (rows.length === 0) return 0;
      const lost = await this.publishAbsent(rows);
      if (lost.length === 0) return 0;
      await this.deliveries.requeueLost(
        lost.map((r) => r.id),
        manager,
      );
      this.logger.warn({ events: lost.length }, 'Re-queued events the queue had lost');
      return lost.length;
    });
  }

  /**
   * Publishes the rows whose job will not run: Redis does not have it, or it is completed or
   * failed while the row is not finished, or it waits in a partition no longer in use. The dead
   * or misplaced job is removed first (a job id in the completed or failed set makes `add` a
   * no-op). Returns the rows published.
   */
  private async publishAbsent(rows: QueueableEvent[]): Promise<QueueableEvent[]> {
    const jobs = await this.queue.liveness(rows);
    const absent = rows.filter((r) => jobs.get(r.id) !== 'live');
    if (absent.length === 0) return [];
    const stale = absent.filter((r) => jobs.get(r.id) === 'dead' || jobs.get(r.id) === 'misplaced').map((r) => r.id);
    const busy = stale.length ? new Set(await this.queue.removeMany(stale)) : new Set<string>();
    // A misplaced job a worker of the old configuration took meanwhile is running: it stays.
    const toPublish = absent.filter((r) => !busy.has(r.id));
    await this.publisher.publish(toPublish);
    return toPublish;
  }
}
