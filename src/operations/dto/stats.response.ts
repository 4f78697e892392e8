import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CircuitState } from '../../circuit-breaker/circuit-breaker.service';

export class QueuePartitionStats {
  @ApiProperty({ description: 'Partition number (0 … QUEUE_PARTITIONS − 1)' }) partition: number;
  @ApiProperty({ description: 'BullMQ queue name of the partition' }) name: string;
  @ApiProperty({ type: Object, description: 'BullMQ job counts of this partition' }) jobs: Record<string, number>;
}

export class QueueJobsStats {
  @ApiProperty() name: string;
  @ApiProperty({ description: 'False when Redis could not be read (then `paused` and `jobs` are absent)' }) available: boolean;
  @ApiPropertyOptional() paused?: boolean;
  @ApiPropertyOptional({ type: Object, description: 'BullMQ job counts: waiting, prioritized, active, delayed, completed, failed' })
  jobs?: Record<string, number>;
  @ApiPropertyOptional({ type: [QueuePartitionStats], description: 'The same counts per delivery queue partition (QUEUE_PARTITIONS)' })
  partitions?: QueuePartitionStats[];
  @ApiPropertyOptional() error?: string;
}

export class EventStats {
  @ApiProperty({ type: Object, description: 'webhook_queue rows by status (all seven statuses, zeros included)' })
  by_status: Record<string, number>;
  @ApiProperty({ type: Object, description: 'webhook_queue rows by event type, then status' })
  by_event: Record<string, Record<string, number>>;
  @ApiProperty({ type: Number, nullable: true, description: 'Age of the oldest pending/queued/retrying/sending event; null when none' })
  oldest_undelivered_age_seconds: number | null;
}

export class WindowStats {
  @ApiProperty({ description: 'Attempts that ended sent' }) deliveries: number;
  @ApiProperty({ description: 'Attempts that ended retrying or failed' }) failures: number;
}

export class ThroughputStats {
  @ApiProperty({ type: WindowStats }) last_1m: WindowStats;
  @ApiProperty({ type: WindowStats }) last_5m: WindowStats;
  @ApiProperty({ type: WindowStats }) last_15m: WindowStats;
}

export class CircuitStats {
  @ApiProperty() target: string;
  @ApiProperty({ enum: ['closed', 'open', 'half_open'] }) state: CircuitState;
  @ApiProperty() consecutive_failures: number;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) opened_at: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) retry_at: string | null;
}

export class BlockedDelivery {
  @ApiProperty({ format: 'uuid' }) subscription_id: string;
  @ApiProperty() entity_type: string;
  @ApiProperty() entity_id: string;
  @ApiProperty({ format: 'uuid', description: 'The delivery waiting' }) delivery_id: string;
  @ApiProperty({ format: 'uuid', description: 'The unfinished delivery of the same entity it waits for' }) blocked_by: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

/** `per_entity` subscriptions deliver one entity's events in order: deliveries waiting for an earlier one of their entity. */
export class OrderingStats {
  @ApiProperty({ description: 'Deliveries waiting for an unfinished earlier delivery of their entity' }) blocked_deliveries: number;
  @ApiProperty({ description: 'Distinct (subscription, entity) chains with a waiting delivery' }) blocked_entities: number;
  @ApiProperty({ type: BlockedDelivery, nullable: true, description: 'The longest-waiting one; null when none waits' })
  oldest_blocked: BlockedDelivery | null;
}

export class QueueStatsResponse {
  @ApiProperty({ format: 'date-time' }) generated_at: string;
  @ApiProperty({ type: QueueJobsStats }) queue: QueueJobsStats;
  @ApiProperty({ type: EventStats }) events: EventStats;
  @ApiProperty({ type: ThroughputStats }) throughput: ThroughputStats;
  @ApiProperty({ type: OrderingStats }) ordering: OrderingStats;
  @ApiProperty({ type: [CircuitStats], description: 'Targets that failed in the last week, open ones first' }) circuits: CircuitStats[];
}

export class PauseResponse {
  @ApiProperty() paused: boolean;
}
