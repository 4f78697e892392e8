import { Inject, Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/app-config';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The configured SECRETS_ENCRYPTION_KEY does not open a stored secret: the key changed or was lost. */
export class SecretKeyMismatchError extends Error {
  constructor(readonly subscriptionName: string) {
    super(
      `SECRETS_ENCRYPTION_KEY does not decrypt the secret of subscription "${subscriptionName}": ` +
        'the key is not the one the secrets were stored with (restore it, or delete and re-create the subscriptions)',
    );
    this.name = 'SecretKeyMismatchError';
  }
}

/**
 * Subscription secrets at rest: AES-256-GCM with SECRETS_ENCRYPTION_KEY, a fresh 96-bit IV per
 * value, stored as `v1:<iv>:<tag>:<ciphertext>` (base64). GCM's tag makes a wrong key an error,
 * never a wrong secret. Decryptions are memoised (a delivery decrypts its subscription's secret).
 */
@Injectable()
export class SecretCipher {
  private readonly key: Buffer;
  private readonly cache = new Map<string, string>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = config.subscriptions.encryptionKey;
  }

  encrypt(secret: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':');
  }

  /** The secret, or undefined when this key cannot open it (wrong key or a damaged value). */
  tryDecrypt(stored: string): string | undefined {
    const hit = this.cache.get(stored);
    if (hit !== undefined) return hit;
    const [version, iv, tag, data] = stored.split(':');
    if (version !== VERSION || iv === undefined || tag === undefined || data === undefined) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'), { authTagLength: TAG_BYTES });
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      const secret = Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
      if (this.cache.size > 1000) this.cache.clear();
      this.cache.set(stored, secret);
      return secret;
    } catch {
      return undefined;
    }
  }

  decrypt(stored: string, subscriptionName: string): string {
    const secret = this.tryDecrypt(stored);
    if (secret === undefined) throw new SecretKeyMismatchError(subscriptionName);
    return secret;
  }
}
