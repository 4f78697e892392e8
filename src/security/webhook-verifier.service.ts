import { Inject, Injectable, Logger } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { APP_CONFIG, AppConfig, SignatureScheme } from '../config/app-config';
import { keysFor, VerificationResult, verifySignature } from './verify-signature';

/**
 * Verifies incoming signed requests against every configured secret (rotation), over the raw
 * body bytes, with a ±`toleranceSeconds` window. Never throws.
 */
@Injectable()
export class WebhookVerifierService {
  private readonly logger = new Logger(WebhookVerifierService.name);
  private readonly scheme: SignatureScheme;
  private readonly keys: KeyObject[];
  private readonly toleranceSeconds: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.scheme = config.webhook.scheme;
    this.keys = keysFor(config.webhook.scheme, config.webhook.secrets);
    this.toleranceSeconds = config.webhook.toleranceSeconds;
  }

  /** `now` in unix seconds (defaults to the clock). */
  verify(rawBody: Buffer, headers: IncomingHttpHeaders, now: number = Math.floor(Date.now() / 1000)): VerificationResult {
    try {
      const body = asBuffer(rawBody);
      // Without the body bytes no signature can match.
      if (!body) return { ok: false, reason: 'signature_mismatch' };
      return verifySignature({ scheme: this.scheme, keys: this.keys, toleranceSeconds: this.toleranceSeconds, body, headers, now });
    } catch (error) {
      // verifySignature is written not to throw (and property-tested for it); fail closed if it ever does.
      this.logger.error({ err: error }, 'Signature verification failed unexpectedly; request refused');
      return { ok: false, reason: 'signature_malformed' };
    }
  }
}

function asBuffer(raw: unknown): Buffer | null {
  if (Buffer.isBuffer(raw)) return raw;
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (typeof raw === 'string') return Buffer.from(raw, 'utf8');
  return null;
}
