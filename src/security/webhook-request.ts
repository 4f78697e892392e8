import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { REDACTED_HEADERS } from '../common/logging/logger.options';

/** What `WebhookSignatureGuard` attaches to a verified request. */
export interface WebhookContext {
  /** `X-Webhook-Id` (or `webhook-id`) when sent: the sender's idempotency key. */
  id?: string;
  /** The signed timestamp, unix seconds. */
  timestamp: number;
  /** Which configured secret verified it (0 = current). */
  secretIndex: number;
  /**
   * True for an identical resend (same bytes, timestamp and id) of a request already accepted:
   * the sender is retrying; answer from the idempotency store keyed by `id` and apply nothing.
   */
  repeat: boolean;
}

export type WebhookRequest = Request & { rawBody?: Buffer; webhook?: WebhookContext };

/** Handler parameter decorator: the verified webhook context (`@VerifiedWebhook() webhook: WebhookContext`). */
export const VerifiedWebhook = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): WebhookContext | undefined => ctx.switchToHttp().getRequest<WebhookRequest>().webhook,
);

const REDACTED = new Set(REDACTED_HEADERS);

/** Request headers for the audit log, with signature and credential values replaced. */
export function redactHeaders(headers: Request['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = REDACTED.has(name.toLowerCase()) ? '[redacted]' : Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/**
 * The exact bytes the body parser read, or an empty buffer when the request has no body.
 * Null when a body was sent but no parser read it (a content type other than JSON or form):
 * its bytes are not available, so it cannot be verified.
 */
export function rawBodyOf(req: WebhookRequest): Buffer | null {
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  return hasBody ? null : Buffer.alloc(0);
}

/** The request path without its query string. */
export function requestPath(req: Request): string {
  return (req.originalUrl ?? req.url ?? '').split('?')[0];
}

/** The metric label of an incoming route: its last path segment (`/api/v1/webhooks/n8n/demo-approval` → `demo-approval`). */
export function endpointName(path: string): string {
  return path.split('/').filter(Boolean).pop() ?? path;
}
