import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { requestPath } from '../common/http/body-routes';
import { sourceIpOf } from '../common/http/source-ip';
import { REDACTED_HEADERS } from '../common/logging/logger.options';

export { requestPath, sourceIpOf };

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
    out[name] = REDACTED.has(name.toLowerCase()) ? '[redacted]' : Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Bounds of a refusal's audit row: what an unauthenticated sender can make us store. */
export const REFUSAL_AUDIT_LIMITS = { bodyBytes: 256, headerValueChars: 256, headerCount: 32, headersChars: 2048 } as const;

/**
 * `redactHeaders`, bounded for a refusal's audit row: at most `headerCount` headers, each value
 * cut at `headerValueChars`, and no more headers once about `headersChars` are used; what is
 * left out is counted under `"…"`.
 */
export function boundedRedactedHeaders(headers: Request['headers'], limits = REFUSAL_AUDIT_LIMITS): Record<string, string> {
  const out: Record<string, string> = {};
  let kept = 0;
  let used = 0;
  let omitted = 0;
  for (const [name, value] of Object.entries(redactHeaders(headers))) {
    const shown =
      value.length > limits.headerValueChars
        ? `${value.slice(0, limits.headerValueChars)}…[+${value.length - limits.headerValueChars} chars]`
        : value;
    if (kept >= limits.headerCount || used + name.length + shown.length > limits.headersChars) {
      omitted++;
      continue;
    }
    out[name] = shown;
    kept++;
    used += name.length + shown.length;
  }
  if (omitted > 0) out['…'] = `${omitted} more header(s) not recorded`;
  return out;
}

/** The first `max` bytes of a body as text for an audit row, with the size of what was left out. */
export function bodyExcerpt(body: Buffer | null, max: number = REFUSAL_AUDIT_LIMITS.bodyBytes): string | null {
  if (!body) return null;
  if (body.length <= max) return body.toString('utf8');
  return `${body.subarray(0, max).toString('utf8')}…[+${body.length - max} bytes]`;
}

/**
 * The exact bytes `RequestBodyReader` read (the signature guard reads them before verifying), or an
 * empty buffer when the request has no body. Null when a body was sent but not read: its bytes
 * are not available, so it cannot be verified.
 */
export function rawBodyOf(req: WebhookRequest): Buffer | null {
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  return hasBody ? null : Buffer.alloc(0);
}

/** The metric label of an incoming route: its last path segment (`/api/v1/webhooks/n8n/demo-approval` → `demo-approval`). */
export function endpointName(path: string): string {
  return path.split('/').filter(Boolean).pop() ?? path;
}
