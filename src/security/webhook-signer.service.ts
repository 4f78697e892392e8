import { Inject, Injectable } from '@nestjs/common';
import { createHash, createSecretKey, KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { APP_CONFIG, AppConfig, SignatureScheme } from '../config/app-config';
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

/** A subscription's own secrets (the built-in subscription signs with WEBHOOK_SECRET instead). */
export interface SubscriptionKeys {
  current: string;
  /** During a rotation's grace period: the previous secret signs too. */
  previous?: string;
  /** Extra request headers of the subscription (names the bridge sets itself are refused when the subscription is saved). */
  headers?: Record<string, string>;
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
  readonly scheme: SignatureScheme;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.scheme = config.webhook.scheme;
    const [current] = config.webhook.secrets;
    if (current === undefined) throw new Error('WEBHOOK_SECRET: no secret configured to sign with');
    this.secret = current;
    if (config.webhook.scheme === 'standard-webhooks') this.standardKey = createSecretKey(decodeStandardSecret(this.secret));
    if (config.n8n.jwtSecret) this.jwtKey = new TextEncoder().encode(config.n8n.jwtSecret);
  }

  /**
   * The headers of one request. Without `keys`, as the built-in subscription signs (WEBHOOK_SECRET,
   * and the n8n JWT when N8N_JWT_SECRET is set); with them, by the subscription's secret, plus its
   * previous one during a rotation: both signatures travel in the one signature header,
   * space-separated (`v1,<a> v1,<b>` for Standard Webhooks, `sha256=<a> sha256=<b>` for hmac-sha256).
   */
  async sign(body: string | Buffer, opts: SignOptions, keys?: SubscriptionKeys): Promise<Record<string, string>> {
    const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      ...keys?.headers,
      'Content-Type': 'application/json',
      'User-Agent': USER_AGENT,
      'X-Webhook-Id': opts.id,
      ...(keys ? this.subscriptionSignatureHeaders(body, opts.id, timestamp, keys) : this.signatureHeaders(body, opts.id, timestamp)),
    };
    if (opts.event !== undefined) headers['X-Webhook-Event'] = opts.event;
    if (opts.attempt !== undefined) headers['X-Webhook-Attempt'] = String(opts.attempt);
    if (this.jwtKey && !keys) headers.Authorization = `Bearer ${await this.jwt(body, opts, timestamp)}`;
    return headers;
  }

  private subscriptionSignatureHeaders(
    body: string | Buffer,
    id: string,
    timestamp: number,
    keys: SubscriptionKeys,
  ): Record<string, string> {
    const secrets = keys.previous === undefined ? [keys.current] : [keys.current, keys.previous];
    if (this.scheme === 'standard-webhooks') {
      return {
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': secrets
          .map((s) => formatStandardSignature(standardSignatureBytes(decodeStandardSecret(s), id, timestamp, body)))
          .join(' '),
      };
    }
    return {
      'X-Webhook-Timestamp': String(timestamp),
      'X-Webhook-Signature-256': secrets.map((s) => formatHmacSignature(hmacSignatureHex(s, timestamp, body))).join(' '),
    };
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
