import { QueryFailedError } from 'typeorm';
import { ConflictError, ValidationFailedError } from '../../common/errors/app-errors';

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

/** Unique indexes of the domain tables, and the wire field each one guards. */
const UNIQUE_FIELDS: Record<string, string> = { uq_leads_url: 'url' };

/** Foreign keys of the domain tables, and the wire field that holds the reference. */
const REFERENCE_FIELDS: Record<string, string> = {
  fk_demos_lead: 'lead_id',
  fk_videos_lead: 'lead_id',
  fk_videos_demo: 'demo_id',
  fk_outreach_emails_lead: 'lead_id',
  fk_outreach_emails_video: 'video_id',
};

/**
 * The services check uniqueness and references before writing; these are the races that
 * slip past those checks (two writers at once, a row deleted meanwhile), named like the checks.
 */
export function translateDatabaseError(error: unknown): unknown {
  if (!(error instanceof QueryFailedError)) return error;
  const { code, constraint } = error.driverError as { code?: string; constraint?: string };
  const uniqueField = constraint ? UNIQUE_FIELDS[constraint] : undefined;
  if (code === UNIQUE_VIOLATION && uniqueField) return new ConflictError(`Another row already has this ${uniqueField}`, { field: uniqueField });
  const referenceField = constraint ? REFERENCE_FIELDS[constraint] : undefined;
  if (code === FOREIGN_KEY_VIOLATION && referenceField) return invalidReference(referenceField, 'refers to a row that does not exist');
  return error;
}

/** A 400 naming the body field whose reference is wrong (unknown id, or a row of another lead). */
export function invalidReference(field: string, message: string): ValidationFailedError {
  return new ValidationFailedError([{ field, errors: [`${field} ${message}`] }]);
}
