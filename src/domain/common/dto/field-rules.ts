import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDate, IsIn, isISO8601, IsObject, IsOptional, IsString, IsUrl, IsUUID, MaxLength, ValidateIf } from 'class-validator';

/**
 * Reusable validation + Swagger rules for the domain DTOs. Two kinds of optional:
 * `IsOptional` lets `null` through (it clears a nullable column); `OptionalNotNull` only
 * skips an absent field, so `null` on a NOT NULL column is a 400 naming the field, not a DB error.
 */
export const OptionalNotNull = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);

export const MAX_URL_LENGTH = 2048;

export const HttpUrlRules = (): PropertyDecorator =>
  applyDecorators(
    IsUrl({ protocols: ['http', 'https'], require_protocol: true }, { message: '$property must be an http(s) URL' }),
    MaxLength(MAX_URL_LENGTH),
  );

/** Optional nullable text. */
export const OptionalText = (maxLength: number, description?: string): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({ type: String, nullable: true, maxLength, description }),
    IsOptional(),
    IsString(),
    MaxLength(maxLength),
  );

/** Optional nullable http(s) URL. */
export const OptionalHttpUrl = (description?: string): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({ type: String, format: 'uri', nullable: true, maxLength: MAX_URL_LENGTH, description }),
    IsOptional(),
    HttpUrlRules(),
  );

/** A status from one of the vocabularies in `statuses.ts`; optional, never null. */
export const OptionalStatus = (values: readonly string[], description?: string): PropertyDecorator =>
  applyDecorators(ApiPropertyOptional({ enum: [...values], description }), OptionalNotNull(), IsIn([...values]));

/** Free-form JSON object; optional, never null. Replaced as a whole on update. */
export const MetadataField = (): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({
      type: 'object',
      additionalProperties: true,
      description: 'Free-form JSON object; an update replaces it as a whole',
    }),
    OptionalNotNull(),
    IsObject(),
  );

/** Date and time with an explicit zone: a zone-less time would be read in the server's time zone. */
const DATE_TIME_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/i;

const toDate = ({ value }: { value: unknown }) =>
  typeof value === 'string' && DATE_TIME_WITH_ZONE.test(value) && isISO8601(value, { strict: true }) ? new Date(value) : value;

/** Optional nullable ISO 8601 date-time with a time zone, turned into a `Date`. */
export const OptionalDateTime = (): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, example: '2026-01-02T03:04:05Z' }),
    IsOptional(),
    Transform(toDate),
    IsDate({ message: '$property must be an ISO 8601 date-time with a time zone, e.g. 2026-01-02T03:04:05Z' }),
  );

/** The required uuid of the lead a demo / video / email belongs to (fixed at creation). */
export const LeadReference = (): PropertyDecorator =>
  applyDecorators(ApiProperty({ format: 'uuid', description: 'The lead this row belongs to; must exist' }), IsUUID());

/** An optional nullable uuid of another row (of the same lead). */
export const OptionalReference = (description: string): PropertyDecorator =>
  applyDecorators(ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description }), IsOptional(), IsUUID());
