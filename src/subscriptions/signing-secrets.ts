import type { SecretCipher } from './secret-cipher';

/** What a subscription signs with right now: its secret, and during a rotation's grace period the previous one too; plus its extra headers. */
export interface SigningKeys {
  current: string;
  previous?: string;
  headers: Record<string, string>;
}

export interface StoredSubscriptionKeys {
  name: string;
  built_in: boolean;
  headers: Record<string, string>;
  secret_enc: string | null;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | string | null;
}

/**
 * The keys a stored subscription signs with, or undefined for the built-in one (it signs with
 * WEBHOOK_SECRET and the n8n JWT, and stores no secret).
 */
export function signingKeys(row: StoredSubscriptionKeys, cipher: SecretCipher, now = Date.now()): SigningKeys | undefined {
  if (row.built_in) return undefined;
  if (row.secret_enc === null) throw new Error(`Subscription "${row.name}" has no stored secret`);
  const current = cipher.decrypt(row.secret_enc, row.name);
  const expires = row.previous_secret_expires_at === null ? 0 : new Date(row.previous_secret_expires_at).getTime();
  if (row.previous_secret_enc === null || expires <= now) return { current, headers: row.headers };
  return { current, previous: cipher.decrypt(row.previous_secret_enc, row.name), headers: row.headers };
}
