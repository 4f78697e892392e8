import { CanActivate, ExecutionContext, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { Response } from 'express';
import { AuditLogService } from '../audit/audit-log.service';
import { AppError, InvalidJsonError, ReplayedRequestError, ServiceUnavailableError, UnauthorizedError } from '../common/errors/app-errors';
import { RequestBodyReader } from '../common/http/request-body.reader';
import { CallbackOutcome, MetricsService } from '../metrics/metrics.service';
import { RefusalSampler, SuppressedRefusals } from './refusal-sampler';
import { ReplayGuardService, ReplayVerdict } from './replay-guard.service';
import { VerificationFailure } from './verify-signature';
import { WebhookVerifierService } from './webhook-verifier.service';
import { bodyExcerpt, boundedRedactedHeaders, endpointName, requestPath, sourceIpOf, WebhookRequest } from './webhook-request';

const MESSAGES: Record<VerificationFailure, string> = {
  signature_missing: 'The request is not signed',
  signature_malformed: 'The signature headers are malformed',
  signature_mismatch: 'The signature does not match the request',
  timestamp_missing: 'The signature timestamp is missing',
  timestamp_out_of_tolerance: 'The signature timestamp is invalid or outside the accepted window',
};

const NO_BODY = Buffer.alloc(0);

/**
 * Unauthenticated refusals recorded in full (audit row + log line): 20 per source address and
 * reason per minute, 200 per minute in all, per API process; the rest are counted in the
 * metrics and summed up in one log line per address, reason and minute.
 */
const REFUSAL_SAMPLING = { windowMs: 60_000, recordedPerWindow: 20, recordedPerWindowTotal: 200, maxKeys: 10_000 };

interface Refusal {
  reason: string;
  error: AppError;
  /** The bytes received, when they were read (only an excerpt is audited). */
  body?: Buffer;
  /** Refusals of requests whose signature verified are always recorded; the others are sampled. */
  authenticated?: boolean;
}

/**
 * Guards incoming webhook routes, in this order:
 * 1. the signature headers alone (present, well-formed, timestamp in the window): an unsigned or
 *    stale request is refused before a byte of its body is read;
 * 2. the body bytes, through `RequestBodyReader` (CALLBACK_BODY_LIMIT, a bounded number read at
 *    once, a timeout; only JSON content types);
 * 3. the signature over those exact bytes (401), then the replay check (409 `replayed`; 503 when
 *    the replay store is unreachable: fail closed);
 * 4. only then the JSON is parsed into `req.body` (400 `invalid_json`), for the DTO validation.
 * On success `req.webhook = { id, timestamp, secretIndex, repeat }`. Every refusal is logged,
 * counted and audited in `webhook_logs` with bounded content; unauthenticated ones are sampled
 * under a flood (REFUSAL_SAMPLING).
 *
 * An identical resend that carries the same `X-Webhook-Id` as the accepted original passes with
 * `repeat: true`: routes behind this guard must treat the id as an idempotency key (answer the
 * stored result, apply nothing). Without the id, or with another one, the resend is refused.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate, OnModuleDestroy {
  private readonly logger = new Logger(WebhookSignatureGuard.name);
  private readonly sampler = new RefusalSampler(REFUSAL_SAMPLING, (summary) => this.reportSuppressed(summary));

  constructor(
    private readonly verifier: WebhookVerifierService,
    private readonly replay: ReplayGuardService,
    private readonly bodies: RequestBodyReader,
    private readonly audit: AuditLogService,
    private readonly metrics: MetricsService,
  ) {
    this.sampler.start();
  }

  onModuleDestroy(): void {
    this.sampler.stop();
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<WebhookRequest>();
    const res = context.switchToHttp().getResponse<Response>();

    // The verifier checks every header before the digest, so a header-level failure over no body is the answer for any body.
    const headers = this.verifier.verify(NO_BODY, req.headers);
    if (!headers.ok && headers.reason !== 'signature_mismatch')
      throw this.refuse(req, { reason: headers.reason, error: unauthorized(headers.reason) });

    let body: Buffer;
    try {
      body = await this.bodies.readRaw(req, this.bodies.callbackLimit);
    } catch (error) {
      if (error instanceof AppError) throw this.refuse(req, { reason: error.code, error });
      throw error;
    }

    const result = this.verifier.verify(body, req.headers);
    if (!result.ok) throw this.refuse(req, { reason: result.reason, error: unauthorized(result.reason), body });

    let verdict: ReplayVerdict;
    try {
      verdict = await this.replay.check(result.digest, result.id);
    } catch {
      // Fail closed: accepting without the replay check would let a captured request be applied twice.
      const error = new ServiceUnavailableError('Replay protection is unavailable; retry later');
      throw this.refuse(req, { reason: 'replay_store_unavailable', error, body, authenticated: true });
    }
    if (verdict === 'replayed')
      throw this.refuse(req, { reason: 'replayed', error: new ReplayedRequestError(), body, authenticated: true });

    if (verdict === 'first') {
      // A server error means nothing was applied: let the same signed bytes be retried.
      res.once('finish', () => {
        if (res.statusCode >= 500) void this.replay.release(result.digest);
      });
    }

    try {
      this.bodies.parse(req);
    } catch (error) {
      if (error instanceof InvalidJsonError)
        throw this.refuse(req, { reason: `invalid_json: ${error.message}`, error, body, authenticated: true });
      throw error;
    }

    req.webhook = {
      ...(result.id !== undefined && { id: result.id }),
      timestamp: result.timestamp,
      secretIndex: result.secretIndex,
      repeat: verdict === 'repeat',
    };
    return true;
  }

  /**
   * Logs, counts and audits a refusal (bounded: a body excerpt and capped headers, never the
   * signature or a secret), then hands back the error to throw. The audit row is written in the
   * background: the answer does not wait for the database, and the body is not held meanwhile.
   */
  private refuse(req: WebhookRequest, refusal: Refusal): AppError {
    const { reason, error, body, authenticated = false } = refusal;
    const endpoint = requestPath(req);
    const sourceIp = sourceIpOf(req);
    const invalid = error instanceof InvalidJsonError;
    const outcome: CallbackOutcome = invalid ? 'invalid' : 'rejected';
    if (!invalid) this.metrics.recordSignatureFailure(reason);
    this.metrics.recordCallback(endpointName(endpoint), outcome);
    if (!authenticated && !this.sampler.admit(sourceIp, reason)) return error;

    const headerId = req.headers['x-webhook-id'] ?? req.headers['webhook-id'];
    const deliveryId = typeof headerId === 'string' ? headerId.slice(0, 255) : null;
    this.logger.warn({ reason, endpoint, method: req.method, source_ip: sourceIp, delivery_id: deliveryId }, 'Webhook request refused');
    void this.audit.recordSafely({
      direction: 'incoming',
      outcome,
      reason,
      endpoint,
      method: req.method,
      deliveryId,
      sourceIp,
      requestHeaders: boundedRedactedHeaders(req.headers),
      requestBody: bodyExcerpt(body ?? null),
      responseStatus: error.status,
    });
    return error;
  }

  private reportSuppressed(summary: SuppressedRefusals): void {
    this.logger.warn(
      {
        reason: summary.reason,
        source_ip: summary.sourceIp,
        recorded: summary.recorded,
        not_recorded: summary.suppressed,
        window_start: summary.windowStart.toISOString(),
      },
      'Webhook refusals counted but not written to webhook_logs (flood)',
    );
  }
}

function unauthorized(reason: VerificationFailure): UnauthorizedError {
  return new UnauthorizedError(reason, MESSAGES[reason]);
}
