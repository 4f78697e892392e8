import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';

/** `POST /api/v1/webhooks/queue/cleanup`. */
export class CleanupDto {
  @ApiProperty({
    minimum: 1,
    maximum: 3650,
    description:
      'Delete finished events whose last change is older than this, and incoming logs and callback idempotency keys created before it',
  })
  @IsInt()
  @Min(1)
  @Max(3650)
  older_than_days: number;

  @ApiPropertyOptional({ default: false, description: 'Also delete failed events (dead letters)' })
  @IsOptional()
  @IsBoolean()
  include_failed?: boolean;
}

export class CleanupResponse {
  @ApiProperty({ description: 'webhook_queue rows deleted' })
  events: number;

  @ApiProperty({ description: 'webhook_retry_history rows deleted with them' })
  history: number;

  @ApiProperty({ description: 'Outgoing webhook_logs rows deleted with them' })
  logs: number;

  @ApiProperty({ description: 'Incoming webhook_logs rows (callbacks received, signature refusals) older than the cutoff' })
  incoming_logs: number;

  @ApiProperty({ description: 'webhook_callbacks idempotency keys older than the cutoff' })
  callbacks: number;

  @ApiProperty({ description: 'Idle per-entity delivery chains forgotten (untouched since the cutoff, their last delivery finished)' })
  chains: number;
}
