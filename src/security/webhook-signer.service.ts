import { Inject, Injectable } from '@nestjs/common';
import { createHash, createSecretKey, KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { decodeStandardSecret, formatHmacSignature, formatStandardSignature, hmacSignatureHex, standardSignatureBytes } from './signature';
import { USER_AGENT } from './user-agent';

export interface SignOptions {
  /** The delivery id: stable across the retries of one delivery. */
  id: string;
  event?: string;
  /** 1 for the first attempt. */
  attempt?: number;
  /** Unix seconds; defaults to now (sign at the moment of sending, once per attempt). */
  timestamp?: number;
}

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/** Lifetime of the optional n8n JWT. */
export const JWT_TTL_SECONDS = 300;

/**
 * Produces every header of an outgoing request for the configured scheme: the signature
 * headers, `X-Webhook-Id/Event/Attempt`, `User-Agent`, `Content-Type`, and a bearer JWT when
 * `N8N_JWT_SECRET` is set. Signs with the first configured secret.
 */
@Injectable()
export class WebhookSignerService {
  private readonly secret: string;
  private readonly standardKey?: KeyObject;
  private readonly jwtKey?: Uint8Array;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const [current] = config.webhook.secrets;
    if (current === undefined) throw new Error('WEBHOOK_SECRET: no secret configured to sign with');
    this.secret = current;
    if (config.webhook.scheme === 'standard-webhooks') this.standardKey = createSecretKey(decodeStandardSecret(this.secret));
    if (config.n8n.jwtSecret) this.jwtKey = new TextEncoder().encode(config.n8n.jwtSecret);
  }

  async sign(body: string | Buffer, opts: SignOptions): Promise<Record<string, string>> {
    const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': USER_AGENT,
      'X-Webhook-Id': opts.id,
      ...this.signatureHeaders(body, opts.id, timestamp),
    };
    if (opts.event !== undefined) headers['X-Webhook-Event'] = opts.event;
    if (opts.attempt !== undefined) headers['X-Webhook-Attempt'] = String(opts.attempt);
    if (this.jwtKey) headers.Authorization = `Bearer ${await this.jwt(body, opts, timestamp)}`;
    return headers;
  }

  /** Serialises the payload once and signs exactly those bytes. */
  async buildSignedRequest(payload: unknown, opts: SignOptions): Promise<SignedRequest> {
    // Typed string, but undefined for an undefined payload (or a function).
    const body = (JSON.stringify(payload) as string | undefined) ?? 'null';
    return { body, headers: await this.sign(body, opts) };
  }

  private signatureHeaders(body: string | Buffer, id: string, timestamp: number): Record<string, string> {
    if (this.standardKey) {
      return {
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': formatStandardSignature(standardSignatureBytes(this.standardKey, id, timestamp, body)),
      };
    }
    return {
      'X-Webhook-Timestamp': String(timestamp),
      'X-Webhook-Signature-256': formatHmacSignature(hmacSignatureHex(this.secret, timestamp, body)),
    };
  }

  private jwt(body: string | Buffer, opts: SignOptions, timestamp: number): Promise<string> {
    const claims: Record<string, string> = { body_sha256: createHash('sha256').update(body).digest('hex') };
    if (opts.event !== undefined) claims.event = opts.event;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setJti(opts.id)
      .setIssuedAt(timestamp)
      .setExpirationTime(timestamp + JWT_TTL_SECONDS)
      .sign(this.jwtKey as Uint8Array);
  }
}
