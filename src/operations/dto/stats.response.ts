import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CircuitState } from '../../circuit-breaker/circuit-breaker.service';

export class QueueJobsStats {
  @ApiProperty() name: string;
  @ApiProperty({ description: 'False when Redis could not be read (then `paused` and `jobs` are absent)' }) available: boolean;
  @ApiPropertyOptional() paused?: boolean;
  @ApiPropertyOptional({ type: Object, description: 'BullMQ job counts: waiting, prioritized, active, delayed, completed, failed' })
  jobs?: Record<string, number>;
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

export class QueueStatsResponse {
  @ApiProperty({ format: 'date-time' }) generated_at: string;
  @ApiProperty({ type: QueueJobsStats }) queue: QueueJobsStats;
  @ApiProperty({ type: EventStats }) events: EventStats;
  @ApiProperty({ type: ThroughputStats }) throughput: ThroughputStats;
  @ApiProperty({ type: [CircuitStats], description: 'Targets that failed in the last week, open ones first' }) circuits: CircuitStats[];
}

export class PauseResponse {
  @ApiProperty() paused: boolean;
}
