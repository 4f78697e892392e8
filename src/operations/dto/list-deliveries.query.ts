import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { IsRealTimestamp } from '../../common/validation/is-real-timestamp.decorator';
import { DELIVERY_STATUSES, DeliveryStatus } from '../../outbox/outbox-event.entity';
import { EVENT_TYPES, EventType } from '../../events/event-catalog';

export const DEFAULT_DELIVERY_PAGE = 50;
export const MAX_DELIVERY_PAGE = 500;

/** `GET /api/v1/webhooks/queue/deliveries`: filters, newest first, keyset-paginated by an opaque cursor. */
export class ListDeliveriesQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;

  @ApiPropertyOptional({ enum: EVENT_TYPES })
  @IsOptional()
  @IsIn(EVENT_TYPES)
  event?: EventType;

  @ApiPropertyOptional({ description: 'The id of the lead, demo, video… the event is about' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  entity_id?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only the deliveries to this subscription' })
  @IsOptional()
  @IsUUID('all')
  subscription_id?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "Only the deliveries of this event (its id is every delivery's X-Webhook-Id)" })
  @IsOptional()
  @IsUUID('all')
  event_id?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Created at or after: a date or ISO 8601 date-time (offset within ±14:00)' })
  @IsOptional()
  @IsRealTimestamp()
  since?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Created before: a date or ISO 8601 date-time (offset within ±14:00)' })
  @IsOptional()
  @IsRealTimestamp()
  until?: string;

  @ApiPropertyOptional({ default: DEFAULT_DELIVERY_PAGE, minimum: 1, maximum: MAX_DELIVERY_PAGE })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_DELIVERY_PAGE)
  limit: number = DEFAULT_DELIVERY_PAGE;

  @ApiPropertyOptional({ description: '`next_cursor` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(400)
  cursor?: string;
}
