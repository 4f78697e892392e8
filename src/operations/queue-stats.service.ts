import { Injectable } from '@nestjs/common';
import { RetryHistoryRepository } from '../audit/retry-history.repository';
import { CircuitBreakerService } from '../circuit-breaker/circuit-breaker.service';
import { DeliveryRepository } from '../outbox/delivery.repository';
import { DELIVERY_STATUSES } from '../outbox/outbox-event.entity';
import { DELIVERY_QUEUE } from '../queue/queue.constants';
import { sumCounts, WebhookQueueService } from '../queue/webhook-queue.service';
import { CircuitStats, EventStats, OrderingStats, QueueJobsStats, QueueStatsResponse, ThroughputStats } from './dto/stats.response';

/** One picture of the pipeline for `GET /api/v1/webhooks/queue/stats`: BullMQ, the outbox table, recent attempts, ordered chains, circuits. */
@Injectable()
export class QueueStatsService {
  constructor(
    private readonly queue: WebhookQueueService,
    private readonly circuits: CircuitBreakerService,
    private readonly deliveries: DeliveryRepository,
    private readonly history: RetryHistoryRepository,
  ) {}

  async stats(): Promise<QueueStatsResponse> {
    const [queue, events, throughput, ordering, circuits] = await Promise.all([
      this.queueStats(),
      this.eventStats(),
      this.throughput(),
      this.orderingStats(),
      this.circuitStats(),
    ]);
    return { generated_at: new Date().toISOString(), queue, events, throughput, ordering, circuits };
  }

  /** Redis may be down while Postgres is not: the rest of the picture still comes back. */
  private async queueStats(): Promise<QueueJobsStats> {
    try {
      const [perPartition, paused] = await Promise.all([this.queue.countsPerPartition(), this.queue.isPaused()]);
      const jobs = sumCounts(perPartition);
      const partitions = perPartition.map((counts, partition) => ({
        partition,
        name: this.queue.partitions[partition]?.name ?? '',
        jobs: counts,
      }));
      return { name: DELIVERY_QUEUE, available: true, paused, jobs, partitions };
    } catch (error) {
      return { name: DELIVERY_QUEUE, available: false, error: error instanceof Error ? error.message : String(error) };
    }
  }

  private async eventStats(): Promise<EventStats> {
    const [rows, oldest] = await Promise.all([this.deliveries.countsByEventAndStatus(), this.deliveries.oldestInQueueAgeSeconds()]);
    const byStatus: Record<string, number> = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0]));
    const byEvent: Record<string, Record<string, number>> = {};
    for (const { event_type, status, n } of rows) {
      byStatus[status] = (byStatus[status] ?? 0) + n;
      (byEvent[event_type] ??= {})[status] = n;
    }
    const age = oldest === null ? null : Math.max(0, Math.round(oldest * 1000) / 1000);
    return { by_status: byStatus, by_event: byEvent, oldest_undelivered_age_seconds: age };
  }

  private async throughput(): Promise<ThroughputStats> {
    const counts = await this.history.recentCounts();
    return { last_1m: counts.last1m, last_5m: counts.last5m, last_15m: counts.last15m };
  }

  private async orderingStats(): Promise<OrderingStats> {
    const { deliveries, entities, oldest } = await this.deliveries.blockedChains();
    return {
      blocked_deliveries: deliveries,
      blocked_entities: entities,
      // Built by json_build_object: created_at arrives as text.
      oldest_blocked: oldest && { ...oldest, created_at: new Date(oldest.created_at).toISOString() },
    };
  }

  private async circuitStats(): Promise<CircuitStats[]> {
    try {
      return await this.circuits.list();
    } catch {
      return [];
    }
  }
}
