import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CircuitBreakerService } from '../delivery/circuit-breaker.service';
import { DELIVERY_STATUSES } from '../outbox/outbox-event.entity';
import { DELIVERY_QUEUE } from '../queue/queue.constants';
import { WebhookQueueService } from '../queue/webhook-queue.service';
import { CircuitStats, EventStats, QueueJobsStats, QueueStatsResponse, ThroughputStats } from './dto/stats.response';

/** One picture of the pipeline for `GET /api/v1/webhooks/queue/stats`: BullMQ, the outbox table, recent attempts, circuits. */
@Injectable()
export class QueueStatsService {
  constructor(
    private readonly queue: WebhookQueueService,
    private readonly circuits: CircuitBreakerService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async stats(): Promise<QueueStatsResponse> {
    const [queue, events, throughput, circuits] = await Promise.all([this.queueStats(), this.eventStats(), this.throughput(), this.circuitStats()]);
    return { generated_at: new Date().toISOString(), queue, events, throughput, circuits };
  }

  /** Redis may be down while Postgres is not: the rest of the picture still comes back. */
  private async queueStats(): Promise<QueueJobsStats> {
    try {
      const [jobs, paused] = await Promise.all([this.queue.counts(), this.queue.isPaused()]);
      return { name: DELIVERY_QUEUE, available: true, paused, jobs };
    } catch (error) {
      return { name: DELIVERY_QUEUE, available: false, error: error instanceof Error ? error.message : String(error) };
    }
  }

  private async eventStats(): Promise<EventStats> {
    const [rows, [oldest]] = await Promise.all([
      this.dataSource.query(`SELECT event_type, status, count(*)::int AS n FROM webhook_queue GROUP BY event_type, status`) as Promise<
        { event_type: string; status: string; n: number }[]
      >,
      this.dataSource.query(
        `SELECT EXTRACT(EPOCH FROM now() - min(created_at))::float AS age FROM webhook_queue WHERE status IN ('pending', 'queued', 'retrying', 'sending')`,
      ) as Promise<{ age: number | null }[]>,
    ]);
    const byStatus: Record<string, number> = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0]));
    const byEvent: Record<string, Record<string, number>> = {};
    for (const { event_type, status, n } of rows) {
      byStatus[status] += n;
      (byEvent[event_type] ??= {})[status] = n;
    }
    const age = oldest?.age === null || oldest?.age === undefined ? null : Math.max(0, Math.round(Number(oldest.age) * 1000) / 1000);
    return { by_status: byStatus, by_event: byEvent, oldest_undelivered_age_seconds: age };
  }

  private async throughput(): Promise<ThroughputStats> {
    const [row] = await this.dataSource.query(
      `SELECT
          count(*) FILTER (WHERE outcome = 'sent' AND created_at > now() - interval '1 minute')::int AS d1,
          count(*) FILTER (WHERE outcome IN ('retrying', 'failed') AND created_at > now() - interval '1 minute')::int AS f1,
          count(*) FILTER (WHERE outcome = 'sent' AND created_at > now() - interval '5 minutes')::int AS d5,
          count(*) FILTER (WHERE outcome IN ('retrying', 'failed') AND created_at > now() - interval '5 minutes')::int AS f5,
          count(*) FILTER (WHERE outcome = 'sent')::int AS d15,
          count(*) FILTER (WHERE outcome IN ('retrying', 'failed'))::int AS f15
        FROM webhook_retry_history WHERE created_at > now() - interval '15 minutes'`,
    );
    return {
      last_1m: { deliveries: row.d1, failures: row.f1 },
      last_5m: { deliveries: row.d5, failures: row.f5 },
      last_15m: { deliveries: row.d15, failures: row.f15 },
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
