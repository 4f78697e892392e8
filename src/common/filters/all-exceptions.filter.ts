import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { QueryFailedError } from 'typeorm';
import { AppError, ServiceUnavailableError } from '../errors/app-errors';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown;
  request_id?: string;
  error_id?: string;
}

/** Postgres SQLSTATE classes that mean "the database is not reachable right now". */
const DB_UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

/**
 * Every error leaves the API in one JSON shape, with the request id. Known errors keep their
 * status (body errors from `RequestBodyReader` are AppErrors: 400 `invalid_json`, 408, 413, 415);
 * body-parser errors get the same answers; a lost database becomes 503 with Retry-After;
 * anything else is a 500 whose details stay in the log under an error id.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request & { id?: string }>();
    if (isHealthReport(exception)) {
      res.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    const body = this.toBody(exception);
    if (req?.id) body.request_id = String(req.id);
    if (body.statusCode === 503) res.setHeader('Retry-After', String(exception instanceof ServiceUnavailableError ? exception.retryAfterSeconds : 5));
    if (body.statusCode >= 500 && body.statusCode !== 503) {
      body.error_id = randomUUID();
      this.logger.error({ err: exception, error_id: body.error_id, path: req?.url }, 'Unhandled error');
    }
    if (res.headersSent) return;
    res.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof AppError) {
      return { statusCode: exception.status, error: exception.code, message: exception.message, ...(exception.details !== undefined && { details: exception.details }) };
    }
    // Express-level parsers (Bull Board mounts its own) reach us wrapped by Nest: answer from the cause, never its message (it quotes the body).
    const parser = bodyParserError(exception instanceof HttpException ? exception.cause : exception);
    if (parser) return parser;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const message = typeof response === 'string' ? response : String((response as { message?: unknown }).message ?? exception.message);
      return { statusCode: status, error: snake(HttpStatus[status] ?? 'error'), message };
    }
    const err = exception as { status?: number; message?: string } | undefined;
    if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500)
      return { statusCode: err.status, error: snake(HttpStatus[err.status] ?? 'bad_request'), message: err.message ?? 'Bad request' };
    if (isDatabaseUnavailable(exception)) return { statusCode: 503, error: 'service_unavailable', message: 'The database is unavailable; retry later' };
    return { statusCode: 500, error: 'internal_error', message: 'Internal server error' };
  }
}

/** body-parser's errors (by their `type`), in the same shape as `RequestBodyReader`'s own. */
function bodyParserError(cause: unknown): ErrorBody | undefined {
  const type = (cause as { type?: unknown } | undefined)?.type;
  if (type === 'entity.too.large') return { statusCode: 413, error: 'payload_too_large', message: 'Request body is larger than the configured limit' };
  if (type === 'entity.parse.failed') return { statusCode: 400, error: 'invalid_json', message: 'Request body is not valid JSON' };
  if (type === 'charset.unsupported' || type === 'encoding.unsupported')
    return { statusCode: 415, error: 'unsupported_media_type', message: 'Request bodies must be UTF-8 JSON without a Content-Encoding' };
  return undefined;
}

/** Terminus reports a failed health check as a 503 whose body is the report itself: keep it. */
function isHealthReport(exception: unknown): exception is HttpException {
  if (!(exception instanceof HttpException)) return false;
  const response = exception.getResponse();
  return typeof response === 'object' && response !== null && 'status' in response && 'details' in response;
}

export function isDatabaseUnavailable(exception: unknown): boolean {
  const err = exception as { code?: string; driverError?: { code?: string }; message?: string } | undefined;
  const code = (exception instanceof QueryFailedError ? err?.driverError?.code : undefined) ?? err?.code;
  if (code && (DB_UNAVAILABLE_CODES.has(code) || NETWORK_CODES.has(code))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED/i.test(err?.message ?? '');
}

function snake(name: string): string {
  return name.toLowerCase();
}
