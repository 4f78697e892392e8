import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { describeError, errorBody } from '../errors/error-status';

/**
 * Every error leaves the API in one JSON shape, with the request id. The status, code and
 * message come from `describeError` (the one mapping, shared with the callback audit); a 503
 * carries Retry-After; a 500 keeps its details in the log under an error id.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    // Undefined when the filter runs outside an HTTP request; `id` is pino-http's (genReqId: always a string).
    const req = ctx.getRequest<(Request & { id?: string }) | undefined>();
    if (isHealthReport(exception)) {
      res.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    const described = describeError(exception);
    const { status, retryAfterSeconds } = described;
    const body = errorBody(described);
    if (req?.id) body.request_id = req.id;
    if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
    if (status >= 500 && status !== 503) {
      body.error_id = randomUUID();
      this.logger.error({ err: exception, error_id: body.error_id, path: req?.url }, 'Unhandled error');
    }
    if (res.headersSent) return;
    res.status(status).json(body);
  }
}

/** Terminus reports a failed health check as a 503 whose body is the report itself: keep it. */
function isHealthReport(exception: unknown): exception is HttpException {
  if (!(exception instanceof HttpException)) return false;
  // Typed `string | object`, but whatever the exception was constructed with (null included).
  const response: unknown = exception.getResponse();
  return typeof response === 'object' && response !== null && 'status' in response && 'details' in response;
}
