import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { Observable, catchError, tap, throwError } from 'rxjs';
import { AuditLogService } from '../audit/audit-log.service';
import { AppError, ValidationFailedError } from '../common/errors/app-errors';
import { describeError } from '../common/errors/error-status';
import { CallbackOutcome, MetricsService } from '../metrics/metrics.service';
import { endpointName, redactHeaders, requestPath, sourceIpOf, WebhookRequest } from '../security/webhook-request';

/**
 * Writes one `webhook_logs` row (direction incoming) for every callback that passed the
 * signature guard: accepted, repeated, or refused by validation or by the domain, with the
 * status, the duration and the reason, and counts it in the callbacks metric. (Refusals by the
 * guard itself are logged and counted by the guard.)
 */
@Injectable()
export class CallbackAuditInterceptor implements NestInterceptor {
  constructor(
    private readonly audit: AuditLogService,
    private readonly metrics: MetricsService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<WebhookRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    const started = performance.now();
    const record = (status: number, outcome: CallbackOutcome, reason: string | null, responseBody: unknown) => {
      this.metrics.recordCallback(endpointName(requestPath(req)), outcome);
      void this.audit.recordSafely({
        direction: 'incoming',
        endpoint: requestPath(req),
        method: req.method,
        deliveryId: req.webhook?.id ?? null,
        sourceIp: sourceIpOf(req),
        requestHeaders: redactHeaders(req.headers),
        requestBody: req.rawBody ? req.rawBody.toString('utf8') : null,
        responseStatus: status,
        responseBody: responseBody === undefined ? null : JSON.stringify(responseBody),
        durationMs: Math.round(performance.now() - started),
        outcome,
        reason,
      });
    };
    return next.handle().pipe(
      tap((body) => record(res.statusCode, res.getHeader('Idempotent-Replayed') ? 'duplicate' : 'accepted', null, body)),
      catchError((error: unknown) => {
        // The status the exception filter answers with: both ask the same mapping.
        const { status } = describeError(error);
        record(
          status,
          status >= 500 ? 'error' : error instanceof ValidationFailedError ? 'invalid' : 'refused',
          describe(error),
          undefined,
        );
        return throwError(() => error);
      }),
    );
  }
}

function describe(error: unknown): string {
  if (error instanceof ValidationFailedError)
    return `validation_failed: ${error.fields.map((f) => `${f.field} ${f.errors.join(', ')}`).join('; ')}`;
  if (error instanceof AppError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
