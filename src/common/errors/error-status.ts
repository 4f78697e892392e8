import { HttpException, HttpStatus } from '@nestjs/common';
import { isDatabaseUnavailable } from '../../database/postgres-errors';
import { AppError, ServiceUnavailableError } from './app-errors';

/** How an error is answered: the HTTP status, the stable code (`error` in the body), the message and details. */
export interface ErrorDescription {
  status: number;
  code: string;
  message: string;
  details?: unknown;
  /** For a 503: the Retry-After header, in seconds. */
  retryAfterSeconds?: number;
}

/** The JSON body every error is answered with (the filter adds `request_id`, and `error_id` to a 500). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown;
  request_id?: string;
  error_id?: string;
}

/** Retry-After of a 503 that does not say otherwise. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * The one mapping from an error to its answer, used by `AllExceptionsFilter` (the response) and
 * by `CallbackAuditInterceptor` (the status and outcome it audits), so the two cannot drift.
 * Known errors keep their status (body errors from `RequestBodyReader` are AppErrors: 400
 * `invalid_json`, 408, 413, 415); body-parser errors get the same answers; a lost database is a
 * 503; anything else is a 500 whose message says nothing about the cause.
 */
export function describeError(error: unknown): ErrorDescription {
  const described = describe(error);
  if (described.status === 503)
    described.retryAfterSeconds = error instanceof ServiceUnavailableError ? error.retryAfterSeconds : DEFAULT_RETRY_AFTER_SECONDS;
  return described;
}

/** The response body of an error described by `describeError`. */
export function errorBody({ status, code, message, details }: ErrorDescription): ErrorBody {
  return { statusCode: status, error: code, message, ...(details !== undefined && { details }) };
}

function describe(error: unknown): ErrorDescription {
  if (error instanceof AppError)
    return {
      status: error.status,
      code: error.code,
      message: error.message,
      ...(error.details !== undefined && { details: error.details }),
    };
  // Express-level parsers (Bull Board mounts its own) reach us wrapped by Nest: answer from the cause, never its message (it quotes the body).
  const parser = bodyParserError(error instanceof HttpException ? error.cause : error);
  if (parser) return parser;
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : // eslint-disable-next-line @typescript-eslint/no-base-to-string -- any response shape is accepted; Nest's string[] messages are joined with commas, as before
          String((response as { message?: unknown }).message ?? error.message);
    return { status, code: snake(HttpStatus[status] ?? 'error'), message };
  }
  const err = error as { status?: number; message?: string } | undefined;
  if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500)
    return { status: err.status, code: snake(HttpStatus[err.status] ?? 'bad_request'), message: err.message ?? 'Bad request' };
  if (isDatabaseUnavailable(error))
    return { status: 503, code: 'service_unavailable', message: 'The database is unavailable; retry later' };
  return { status: 500, code: 'internal_error', message: 'Internal server error' };
}

/** body-parser's errors (by their `type`), in the same shape as `RequestBodyReader`'s own. */
function bodyParserError(cause: unknown): ErrorDescription | undefined {
  const type = (cause as { type?: unknown } | undefined)?.type;
  if (type === 'entity.too.large')
    return { status: 413, code: 'payload_too_large', message: 'Request body is larger than the configured limit' };
  if (type === 'entity.parse.failed') return { status: 400, code: 'invalid_json', message: 'Request body is not valid JSON' };
  if (type === 'charset.unsupported' || type === 'encoding.unsupported')
    return { status: 415, code: 'unsupported_media_type', message: 'Request bodies must be UTF-8 JSON without a Content-Encoding' };
  return undefined;
}

function snake(name: string): string {
  return name.toLowerCase();
}
