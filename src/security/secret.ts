import { randomBytes } from 'node:crypto';
import type { SignatureScheme } from '../config/app-config';
import { STANDARD_SECRET_PREFIX } from './signature';

export const SECRET_BYTES = 32;

/**
 * A new webhook secret: 32 random bytes, as 64 hex characters for `hmac-sha256` (used as a
 * plain string, so n8n's Crypto node can take it as is) or `whsec_<base64>` for Standard Webhooks.
 * `scripts/generate-secret.mjs` (`npm run secret:generate`) prints the same formats.
 */
export function generateSecret(scheme: SignatureScheme = 'hmac-sha256'): string {
  const bytes = randomBytes(SECRET_BYTES);
  return scheme === 'standard-webhooks' ? `${STANDARD_SECRET_PREFIX}${bytes.toString('base64')}` : bytes.toString('hex');
}
