import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { DeliveryRow } from '../../outbox/delivery.repository';
import { DELIVERY_STATUSES, DeliveryStatus } from '../../outbox/outbox-event.entity';
import { EVENT_TYPES, EventType } from '../../events/event-catalog';

class EntityRef {
  @ApiProperty() type: string;
  @ApiProperty() id: string;
}

/** One delivery of an outgoing event to a subscription as listed (`webhook_queue` row, without its payload). */
export class DeliverySummary {
  @ApiProperty({ format: 'uuid', description: 'The delivery id (BullMQ job id); for the built-in subscription, the event id too' })
  id: string;
  @ApiProperty({
    format: 'uuid',
    description: 'The event id, what the receiver sees as X-Webhook-Id (shared by every delivery of the event)',
  })
  event_id: string;
  @ApiProperty({ format: 'uuid', description: 'The subscription this delivery goes to' }) subscription_id: string;
  @ApiProperty({ enum: EVENT_TYPES }) event: EventType;
  @ApiProperty({ minimum: 0, maximum: 3 }) priority: number;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status: DeliveryStatus;
  @ApiProperty({ type: EntityRef }) entity: EntityRef;
  @ApiProperty() target_url: string;
  @ApiProperty() attempts: number;
  @ApiProperty() max_attempts: number;
  @ApiProperty({ type: Number, nullable: true }) last_status_code: number | null;
  @ApiProperty({ type: String, nullable: true }) last_error: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) next_retry_at: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) published_at: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) sent_at: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class DeliveryPage {
  @ApiProperty({ type: [DeliverySummary] }) items: DeliverySummary[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' }) next_cursor:
    string | null;
  @ApiProperty() limit: number;
}

/** One attempt as `webhook_retry_history` recorded it. */
export class DeliveryAttempt {
  @ApiProperty() attempt: number;
  @ApiProperty({ description: 'sent, retrying, failed or cancelled' }) outcome: string;
  @ApiProperty({ type: Number, nullable: true }) status_code: number | null;
  @ApiProperty({ type: String, nullable: true }) error: string | null;
  @ApiProperty() duration_ms: number;
  @ApiProperty({ type: Number, nullable: true }) scheduled_delay_ms: number | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

/** One attempt as the `webhook_logs` audit trail recorded it (signature headers redacted). */
export class DeliveryLogEntry {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: Number, nullable: true }) attempt: number | null;
  @ApiProperty() endpoint: string;
  @ApiProperty({ type: Object }) request_headers: Record<string, string>;
  @ApiProperty({ type: String, nullable: true }) request_body: string | null;
  @ApiProperty({ type: Number, nullable: true }) response_status: number | null;
  @ApiProperty({ type: String, nullable: true }) response_body: string | null;
  @ApiProperty({ type: Number, nullable: true }) duration_ms: number | null;
  @ApiProperty() outcome: string;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class DeliveryDetail extends DeliverySummary {
  @ApiProperty({ type: Object, description: 'The JSON envelope sent as the request body' }) payload: Record<string, unknown>;
  @ApiPropertyOptional({ type: String, nullable: true, description: "BullMQ's state of the job (null when Redis has none)" }) job_state:
    string | null;
  @ApiProperty({ type: [DeliveryAttempt] }) history: DeliveryAttempt[];
  @ApiProperty({ type: [DeliveryLogEntry] }) logs: DeliveryLogEntry[];
}

export function toSummary(row: DeliveryRow): DeliverySummary {
  return {
    id: row.id,
    event_id: row.event_id,
    subscription_id: row.subscription_id,
    event: row.event,
    priority: row.priority,
    status: row.status,
    entity: { type: row.entity_type, id: row.entity_id },
    target_url: row.target_url,
    attempts: row.attempts,
    max_attempts: row.max_attempts,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    next_retry_at: iso(row.next_retry_at),
    published_at: iso(row.published_at),
    sent_at: iso(row.sent_at),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function iso(value: Date | null): string | null {
  return value ? value.toISOString() : null;
}
