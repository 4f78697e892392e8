import { ConflictError, ValidationFailedError } from '../../common/errors/app-errors';
import { isForeignKeyViolation, isUniqueViolation, pgConstraint } from '../../database/postgres-errors';

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
  const constraint = pgConstraint(error);
  if (!constraint) return error;
  const uniqueField = UNIQUE_FIELDS[constraint];
  if (isUniqueViolation(error) && uniqueField)
    return new ConflictError(`Another row already has this ${uniqueField}`, { field: uniqueField });
  const referenceField = REFERENCE_FIELDS[constraint];
  if (isForeignKeyViolation(error) && referenceField) return invalidReference(referenceField, 'refers to a row that does not exist');
  return error;
}

/** A 400 naming the body field whose reference is wrong (unknown id, or a row of another lead). */
export function invalidReference(field: string, message: string): ValidationFailedError {
  return new ValidationFailedError([{ field, errors: [`${field} ${message}`] }]);
}
