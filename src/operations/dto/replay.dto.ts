import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsOptional, IsUUID } from 'class-validator';
import { IsRealTimestamp } from '../../common/validation/is-real-timestamp.decorator';
import { EVENT_TYPES, EventType } from '../../events/event-catalog';
import { REPLAYABLE, ReplayableStatus } from '../../outbox/delivery-transitions';

export const MAX_REPLAY_IDS = 1000;

/** `POST /api/v1/webhooks/queue/replay`: either `ids`, or a filter with at least one of `event`, `since`, `until`, `subscription_id`. */
export class ReplayDto {
  @ApiPropertyOptional({ type: [String], format: 'uuid', maxItems: MAX_REPLAY_IDS })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_REPLAY_IDS)
  @IsUUID('all', { each: true })
  ids?: string[];

  @ApiPropertyOptional({ enum: EVENT_TYPES })
  @IsOptional()
  @IsIn(EVENT_TYPES)
  event?: EventType;

  @ApiPropertyOptional({ format: 'date-time', description: 'Created at or after: a date or ISO 8601 date-time (offset within ±14:00)' })
  @IsOptional()
  @IsRealTimestamp()
  since?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Created before: a date or ISO 8601 date-time (offset within ±14:00)' })
  @IsOptional()
  @IsRealTimestamp()
  until?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only the deliveries to this subscription' })
  @IsOptional()
  @IsUUID('all')
  subscription_id?: string;

  @ApiPropertyOptional({ enum: REPLAYABLE, default: 'sent', description: 'Filter only' })
  @IsOptional()
  @IsIn(REPLAYABLE)
  status?: ReplayableStatus;

  @ApiPropertyOptional({ default: false, description: 'Replay even when more than REPLAY_MAX_EVENTS match' })
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}

export class ReplayResponse {
  @ApiProperty({ description: 'Events put back in the queue (same delivery id, attempts reset)' })
  replayed: number;

  @ApiPropertyOptional({ type: [String], description: 'ids given that do not exist' })
  not_found?: string[];

  @ApiPropertyOptional({ type: [String], description: 'ids given that are not finished (pending, queued, retrying, sending): left alone' })
  skipped?: string[];
}
