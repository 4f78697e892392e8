import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { rawBodyOf, WebhookRequest } from '../security/webhook-request';

/**
 * A callback's idempotency key (`X-Webhook-Id`) together with the SHA-256 of the exact body
 * bytes it was signed with. The key names one request: the same key with the same bytes is a
 * repeat (answered from the store), with other bytes it is refused (422 `idempotency_key_reused`).
 */
export interface IdempotencyKey {
  key: string;
  /** Hex SHA-256 of the raw signed body. */
  bodySha256: string;
}

/** Hex SHA-256 of the exact bytes received. */
export function bodySha256(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

/**
 * The idempotency key of a verified request, or undefined when it carries no `X-Webhook-Id`.
 * Hashes the raw bytes the signature guard verified (not a re-serialised body: `{"a":1}` and
 * `{ "a": 1 }` are two requests), so it must run behind `WebhookSignatureGuard`.
 */
export function idempotencyKeyOf(req: WebhookRequest): IdempotencyKey | undefined {
  const key = req.webhook?.id;
  if (key === undefined) return undefined;
  const raw = rawBodyOf(req);
  // The guard refuses a body whose bytes were not read, so this is a wiring error, not a bad request.
  if (!raw) throw new Error('The raw request body is not available: cannot key the callback on it');
  return { key, bodySha256: bodySha256(raw) };
}

/** Handler parameter decorator: `@Idempotency() idem: IdempotencyKey | undefined`. */
export const Idempotency = createParamDecorator((_data: unknown, ctx: ExecutionContext): IdempotencyKey | undefined =>
  idempotencyKeyOf(ctx.switchToHttp().getRequest<WebhookRequest>()),
);
