import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { AuditLogService } from '../audit/audit-log.service';
import {
  AppError,
  ReplayedRequestError,
  ServiceUnavailableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../common/errors/app-errors';
import { MetricsService } from '../metrics/metrics.service';
import { ReplayGuardService, ReplayVerdict } from './replay-guard.service';
import { VerificationFailure } from './verify-signature';
import { WebhookVerifierService } from './webhook-verifier.service';
import { endpointName, rawBodyOf, redactHeaders, requestPath, WebhookRequest } from './webhook-request';

const MESSAGES: Record<VerificationFailure, string> = {
  signature_missing: 'The request is not signed',
  signature_malformed: 'The signature headers are malformed',
  signature_mismatch: 'The signature does not match the request',
  timestamp_missing: 'The signature timestamp is missing',
  timestamp_out_of_tolerance: 'The signature timestamp is invalid or outside the accepted window',
};

/**
 * Guards incoming webhook routes: verifies the signature over the raw request bytes, refuses an
 * exact replay (409 `replayed`), fails closed with 503 when the replay store is unreachable, and
 * audits every refusal in `webhook_logs`. On success `req.webhook = { id, timestamp, secretIndex, repeat }`.
 *
 * An identical resend that carries the same `X-Webhook-Id` as the accepted original passes with
 * `repeat: true`: routes behind this guard must treat the id as an idempotency key (answer the
 * stored result, apply nothing). Without the id, or with another one, the resend is refused.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  private readonly logger = new Logger(WebhookSignatureGuard.name);

  constructor(
    private readonly verifier: WebhookVerifierService,
    private readonly replay: ReplayGuardService,
    private readonly audit: AuditLogService,
    private readonly metrics: MetricsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<WebhookRequest>();
    const res = context.switchToHttp().getResponse<Response>();

    const body = rawBodyOf(req);
    if (!body) {
      throw await this.refuse(req, null, 'unsupported_media_type', new UnsupportedMediaTypeError('Signed webhook requests must be sent as application/json'));
    }
    const result = this.verifier.verify(body, req.headers);
    if (!result.ok) throw await this.refuse(req, body, result.reason, new UnauthorizedError(result.reason, MESSAGES[result.reason]));

    let verdict: ReplayVerdict;
    try {
      verdict = await this.replay.check(result.digest, result.id);
    } catch {
      // Fail closed: accepting without the replay check would let a captured request be applied twice.
      throw await this.refuse(req, body, 'replay_store_unavailable', new ServiceUnavailableError('Replay protection is unavailable; retry later'));
    }
    if (verdict === 'replayed') throw await this.refuse(req, body, 'replayed', new ReplayedRequestError());

    if (verdict === 'first') {
      // A server error means nothing was applied: let the same signed bytes be retried.
      res.once('finish', () => {
        if (res.statusCode >= 500) void this.replay.release(result.digest);
      });
    }
    req.webhook = {
      ...(result.id !== undefined && { id: result.id }),
      timestamp: result.timestamp,
      secretIndex: result.secretIndex,
      repeat: verdict === 'repeat',
    };
    return true;
  }

  /** Logs and audits a refusal, then hands back the error to throw. Never records the signature or a secret. */
  private async refuse(req: WebhookRequest, body: Buffer | null, reason: string, error: AppError): Promise<AppError> {
    const endpoint = requestPath(req);
    const headerId = req.headers['x-webhook-id'] ?? req.headers['webhook-id'];
    const deliveryId = typeof headerId === 'string' ? headerId.slice(0, 255) : null;
    this.logger.warn({ reason, endpoint, method: req.method, source_ip: req.ip, delivery_id: deliveryId }, 'Webhook request refused');
    this.metrics.recordSignatureFailure(reason);
    this.metrics.recordCallback(endpointName(endpoint), 'rejected');
    await this.audit.recordSafely({
      direction: 'incoming',
      outcome: 'rejected',
      reason,
      endpoint,
      method: req.method,
      deliveryId,
      sourceIp: req.ip ?? null,
      requestHeaders: redactHeaders(req.headers),
      // The audit service replaces NUL (Postgres text cannot hold it) and truncates to 8 KB.
      requestBody: body ? body.toString('utf8') : null,
      responseStatus: error.status,
    });
    return error;
  }
}
