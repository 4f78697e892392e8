import type { SecretCipher } from './secret-cipher';

/** What a subscription signs with right now: its secret, and during a rotation's grace period the previous one too. */
export interface SigningSecrets {
  current: string;
  previous?: string;
}

export interface StoredSecrets {
  name: string;
  secret_enc: string | null;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | string | null;
}

/** The secrets of a stored subscription (not the built-in one: it signs with WEBHOOK_SECRET and stores none). */
export function signingSecrets(row: StoredSecrets, cipher: SecretCipher, now = Date.now()): SigningSecrets {
  if (row.secret_enc === null) throw new Error(`Subscription "${row.name}" has no stored secret`);
  const current = cipher.decrypt(row.secret_enc, row.name);
  const expires = row.previous_secret_expires_at === null ? 0 : new Date(row.previous_secret_expires_at).getTime();
  if (row.previous_secret_enc === null || expires <= now) return { current };
  return { current, previous: cipher.decrypt(row.previous_secret_enc, row.name) };
}
