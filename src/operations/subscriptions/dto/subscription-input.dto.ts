import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength, ValidateBy, ValidateIf } from 'class-validator';
import { OptionalNotNull, OptionalText } from '../../../domain/common/dto/field-rules';
import { IsRealTimestamp } from '../../../common/validation/is-real-timestamp.decorator';
import { ORDERINGS, Ordering } from '../../../subscriptions/subscription.entity';
import { EventTypesField, HeadersField, MAX_DESCRIPTION_LENGTH, NameField, UrlTemplateField } from './subscription-fields';

/** Longest secret accepted (its format is checked against WEBHOOK_SIGNATURE_SCHEME by the service). */
export const MAX_SECRET_LENGTH = 1024;

const SECRET_DESCRIPTION =
  'The signing secret; generated when left out. hmac-sha256: at least 32 printable ASCII characters without spaces; ' +
  'standard-webhooks: whsec_<base64> of at least 24 bytes';

/** `POST /api/v1/webhooks/subscriptions`. */
export class CreateSubscriptionDto {
  @NameField(true)
  name: string;

  @UrlTemplateField(true)
  url: string;

  @EventTypesField(true)
  event_types: string[];

  @ApiPropertyOptional({ default: true, description: 'A disabled subscription records its deliveries as cancelled' })
  @OptionalNotNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({
    enum: ORDERINGS,
    default: 'none',
    description: '`per_entity`: one entity’s events are delivered one after another',
  })
  @OptionalNotNull()
  @IsIn(ORDERINGS)
  ordering?: Ordering;

  @HeadersField()
  headers?: Record<string, string>;

  @OptionalText(MAX_DESCRIPTION_LENGTH)
  description?: string | null;

  @ApiPropertyOptional({ maxLength: MAX_SECRET_LENGTH, description: SECRET_DESCRIPTION })
  @OptionalNotNull()
  @IsString()
  @MaxLength(MAX_SECRET_LENGTH)
  secret?: string;
}

/** `PATCH /api/v1/webhooks/subscriptions/:id`: any field but the secret; a field left out stays as it is. */
export class UpdateSubscriptionDto {
  @NameField(false)
  name?: string;

  @UrlTemplateField(false)
  url?: string;

  @EventTypesField(false)
  event_types?: string[];

  @ApiPropertyOptional({ description: 'true clears disabled_reason and the failure streak' })
  @OptionalNotNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ enum: ORDERINGS })
  @OptionalNotNull()
  @IsIn(ORDERINGS)
  ordering?: Ordering;

  @HeadersField()
  headers?: Record<string, string>;

  @OptionalText(MAX_DESCRIPTION_LENGTH, 'null clears it')
  description?: string | null;

  /** Not a field of PATCH: named here so the 400 says where secrets change. */
  @ValidateIf((o: UpdateSubscriptionDto) => o.secret !== undefined)
  @ValidateBy({
    name: 'notPatchable',
    validator: {
      validate: () => false,
      defaultMessage: () => 'secret cannot be changed by PATCH: use POST /api/v1/webhooks/subscriptions/{id}/rotate-secret',
    },
  })
  secret?: unknown;
}

/** `POST /api/v1/webhooks/subscriptions/:id/rotate-secret` (the body is optional). */
export class RotateSecretDto {
  @ApiPropertyOptional({ maxLength: MAX_SECRET_LENGTH, description: SECRET_DESCRIPTION })
  @OptionalNotNull()
  @IsString()
  @MaxLength(MAX_SECRET_LENGTH)
  secret?: string;
}

/** `POST /api/v1/webhooks/subscriptions/:id/recover`. */
export class RecoverDto {
  @ApiProperty({
    format: 'date-time',
    description:
      'Re-send the failed and cancelled deliveries created at or after this: a date or ISO 8601 date-time (offset within ±14:00)',
  })
  @IsRealTimestamp()
  since: string;

  @ApiPropertyOptional({ default: false, description: 'Recover even when more than REPLAY_MAX_EVENTS match' })
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}
