import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { WebhookQueueService } from '../queue/webhook-queue.service';
import { DeliveryRepository } from './delivery.repository';
import { OutboxPublisher } from './outbox-publisher.service';

const BATCH = 1000;

/**
 * Re-publishes committed events that are not in the queue: rows still `pending` (Redis was
 * down, the process died between commit and publish) and rows the queue has lost (Redis
 * restarted empty or was flushed). Runs at start-up and every OUTBOX_RELAY_INTERVAL_MS in
 * every process; `FOR UPDATE SKIP LOCKED` keeps concurrent relays off each other's rows.
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
    for (let n = BATCH; n === BATCH; total += n) n = await this.publishPending();
    if (checkLost) {
      await this.queue.refreshPartitions();
      total += await this.republishLost();
      await this.queue.forgetEmptyRetired();
    }
    if (total > 0) this.logger.log({ events: total }, 'Outbox relay published events');
    return total;
  }

  /** Committed rows never published (older than a second, so the normal after-commit publish goes first). */
  private publishPending(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const rows = await this.deliveries.unpublished(BATCH, manager);
      await this.publisher.publish(rows, manager);
      return rows.length;
    });
  }

  /**
   * Rows the database says are in the queue, but whose job will not run: Redis no longer has it,
   * or it is completed or failed (BullMQ gave up on it, e.g. stalled too often) while the row is
   * not finished, or it waits in a partition no longer in use (QUEUE_PARTITIONS was lowered).
   * The dead or misplaced job is removed (a job id in the completed or failed set makes `add` a
   * no-op), then queued again, in its partition.
   */
  private republishLost(): Promise<number> {
    const quietMs = Math.max(2000, this.config.outbox.relayIntervalMs * 2);
    return this.dataSource.transaction(async (manager) => {
      const rows = await this.deliveries.quietInQueue(quietMs, BATCH, manager);
      if (rows.length === 0) return 0;
      const jobs = await this.queue.liveness(rows);
      const lost = rows.filter((r) => jobs.get(r.id) !== 'live');
      if (lost.length === 0) return 0;
      const stale = lost.filter((r) => jobs.get(r.id) === 'dead' || jobs.get(r.id) === 'misplaced').map((r) => r.id);
      const busy = stale.length ? new Set(await this.queue.removeMany(stale)) : new Set<string>();
      // A misplaced job a worker of the old configuration took meanwhile is running: it stays.
      lost.splice(0, lost.length, ...lost.filter((r) => !busy.has(r.id)));
      if (lost.length === 0) return 0;
      await this.queue.enqueue(lost);
      await this.deliveries.requeueLost(
        lost.map((r) => r.id),
        manager,
      );
      this.logger.warn({ events: lost.length }, 'Re-queued events the queue had lost');
      return lost.length;
    });
  }
}
