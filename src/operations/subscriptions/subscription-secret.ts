import type { SignatureScheme } from '../../config/app-config';
import { ValidationFailedError } from '../../common/errors/app-errors';
import { generateSecret } from '../../security/secret';
import { decodeStandardSecret, STANDARD_SECRET_PREFIX } from '../../security/signature';

const HMAC_SECRET = /^[\x21-\x7e]{32,}$/;
const STANDARD_SECRET = new RegExp(`^${STANDARD_SECRET_PREFIX}[A-Za-z0-9+/]+={0,2}$`);
const MIN_STANDARD_SECRET_BYTES = 24;

/**
 * The secret a subscription will sign with: the given one when it fits the scheme
 * (WEBHOOK_SIGNATURE_SCHEME), else a 400 naming `secret` (never quoting it); a new one when none is given.
 */
export function subscriptionSecret(given: string | undefined, scheme: SignatureScheme): string {
  if (given === undefined) return generateSecret(scheme);
  const problem = secretProblem(given, scheme);
  if (problem) throw new ValidationFailedError([{ field: 'secret', errors: [problem] }]);
  return given;
}

function secretProblem(secret: string, scheme: SignatureScheme): string | undefined {
  if (scheme === 'hmac-sha256')
    return HMAC_SECRET.test(secret) ? undefined : 'secret must be at least 32 printable ASCII characters without spaces (hmac-sha256)';
  if (!STANDARD_SECRET.test(secret) || decodeStandardSecret(secret).length < MIN_STANDARD_SECRET_BYTES)
    return `secret must be ${STANDARD_SECRET_PREFIX}<base64> of at least ${MIN_STANDARD_SECRET_BYTES} bytes (standard-webhooks)`;
  return undefined;
}
