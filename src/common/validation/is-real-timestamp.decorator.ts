import { ValidateBy, ValidationOptions } from 'class-validator';
import { isRealTimestamp } from './real-timestamp';

/**
 * A DTO field holding a timestamp the database will parse: a real calendar date, optionally a
 * time and an offset within ±14:00 (see `isRealTimestamp`). Use it instead of `@IsISO8601()`,
 * which also accepts week dates (2026-W01-1), ordinal dates, a year alone, 24:00 and offsets up to
 * ±23:59: Postgres refuses those, and the request used to end in a 500.
 */
export function IsRealTimestamp(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isRealTimestamp',
      validator: {
        validate: (value: unknown) => isRealTimestamp(value),
        defaultMessage: () => '$property must be a real date or date-time, e.g. 2026-11-29 or 2026-11-29T10:00:00Z (offset within ±14:00)',
      },
    },
    options,
  );
}
