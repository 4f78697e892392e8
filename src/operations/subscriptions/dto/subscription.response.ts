import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EVENT_TYPES } from '../../../events/event-catalog';
import { ORDERINGS, Ordering } from '../../../subscriptions/subscription.entity';
import type { SubscriptionRow } from '../../../subscriptions/subscription.repository';
import { iso } from '../../dto/delivery.response';

export class SecretRotation {
  @ApiProperty({ format: 'date-time', description: 'Until then requests carry a signature by the previous secret too' })
  previous_secret_expires_at: string;
}

/** A subscription as the API shows it: never its secrets (only the create and rotate answers carry the new one). */
export class SubscriptionResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'The URL template; `{event}` is the event type with dashes' }) url: string;
  @ApiProperty({ type: [String], enum: ['*', ...EVENT_TYPES] }) event_types: string[];
  @ApiProperty() enabled: boolean;
  @ApiProperty({ enum: ORDERINGS }) ordering: Ordering;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) headers: Record<string, string>;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ description: 'The subscription configured by N8N_BASE_URL, N8N_WEBHOOK_URL_<EVENT> and WEBHOOK_SECRET: read-only' })
  built_in: boolean;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Built-in only: the per-event URLs of N8N_WEBHOOK_URL_<EVENT>',
  })
  url_overrides?: Record<string, string>;
  @ApiProperty({ type: String, nullable: true, description: 'Why it is disabled (by an operator, or after failing too long)' })
  disabled_reason: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) disabled_at: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Since when every attempt failed; null once one succeeds',
  })
  failing_since: string | null;
  @ApiProperty({ type: SecretRotation, nullable: true, description: 'Set while the previous secret still signs after a rotation' })
  secret_rotation: SecretRotation | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class SubscriptionList {
  @ApiProperty({ type: [SubscriptionResponse], description: 'The built-in subscription first, then by creation' })
  items: SubscriptionResponse[];
}

export class CreatedSubscriptionResponse extends SubscriptionResponse {
  @ApiProperty({ description: 'The signing secret: shown in this answer only, keep it now' }) secret: string;
}

export class RotatedSecretResponse {
  @ApiProperty({ description: 'The new signing secret: shown in this answer only' }) secret: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Until then the previous secret signs too (SECRET_ROTATION_GRACE_HOURS); null when it stopped at once',
  })
  previous_secret_expires_at: string | null;
}

export class DeletedSubscriptionResponse {
  @ApiProperty() deleted: boolean;
  @ApiProperty({ description: 'Pending, queued and retrying deliveries cancelled with it' }) cancelled_deliveries: number;
}

export class RecoverResponse {
  @ApiProperty({ description: 'Failed and cancelled deliveries put back in the queue (same ids, same event ids)' }) recovered: number;
}

export class SubscriptionTestResponse {
  @ApiProperty({ description: 'Where the test webhook went' }) url: string;
  @ApiProperty({ type: Number, nullable: true, description: 'null when no response arrived' }) status_code: number | null;
  @ApiProperty({ description: 'A 2xx answer' }) ok: boolean;
  @ApiProperty() duration_ms: number;
  @ApiProperty({ type: String, nullable: true, description: 'The beginning of the response body' }) response_excerpt: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Network error or timeout' }) error: string | null;
}

export function toSubscriptionResponse(row: SubscriptionRow, now = Date.now()): SubscriptionResponse {
  const expires = row.previous_secret_expires_at;
  const rotating = row.previous_secret_enc !== null && expires !== null && expires.getTime() > now;
  return {
    id: row.id,
    name: row.name,
    url: row.url ?? '',
    event_types: row.event_types,
    enabled: row.enabled,
    ordering: row.ordering,
    headers: row.headers,
    description: row.description,
    built_in: row.built_in,
    ...(row.built_in && { url_overrides: row.url_overrides }),
    disabled_reason: row.disabled_reason,
    disabled_at: iso(row.disabled_at),
    failing_since: iso(row.failing_since),
    secret_rotation: rotating ? { previous_secret_expires_at: expires.toISOString() } : null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
