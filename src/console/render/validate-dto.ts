import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { FieldError } from '../../common/errors/app-errors';
import { flattenValidationErrors } from '../../common/pipes/validation.pipe';

/**
 * A plain object checked against a DTO class of the JSON API, with the global validation pipe's
 * rules (unknown fields refused, every bad field named): the console accepts exactly what the API does.
 */
export function validateDto<T extends object>(cls: new () => T, plain: Record<string, unknown>): { value: T; errors: FieldError[] } {
  const value = plainToInstance(cls, plain);
  const errors = flattenValidationErrors(validateSync(value, { whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: false }));
  return { value, errors };
}
