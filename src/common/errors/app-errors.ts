/**
 * Named domain errors. Each carries its HTTP status and a stable machine-readable code;
 * `AllExceptionsFilter` is the only place that turns them into responses.
 */
export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly details?: unknown;

  constructor(message: string, details?: unknown) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

export interface FieldError {
  field: string;
  errors: string[];
}

export class ValidationFailedError extends AppError {
  readonly status = 400;
  readonly code = 'validation_failed';
  constructor(readonly fields: FieldError[]) {
    super(`Invalid request: ${fields.map((f) => f.field).join(', ')}`, fields);
  }
}

export class EntityNotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'not_found';
  constructor(entity: string, id: string) {
    super(`${entity} ${id} not found`, { entity, id });
  }
}

export class ConflictError extends AppError {
  readonly status = 409;
  readonly code = 'conflict';
}

export class UnauthorizedError extends AppError {
  readonly status = 401;
  readonly code: string;
  constructor(code = 'unauthorized', message = 'Missing or invalid credentials') {
    super(message);
    this.code = code;
  }
}

export class ServiceUnavailableError extends AppError {
  readonly status = 503;
  readonly code = 'service_unavailable';
  constructor(
    message: string,
    readonly retryAfterSeconds = 5,
  ) {
    super(message);
  }
}

/** A signed request that was already accepted, sent again (same signature over the same bytes and timestamp). */
export class ReplayedRequestError extends AppError {
  readonly status = 409;
  readonly code = 'replayed';
  constructor(message = 'This signed request was already received') {
    super(message);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
}

/**
 * An idempotency key (`X-Webhook-Id`) sent again with another body. A key names one request
 * (Stripe's rule): answering the first request's stored result would tell the sender its other
 * request was applied when it was not, so it is refused and nothing changes.
 */
export class IdempotencyKeyReusedError extends AppError {
  readonly status = 422;
  readonly code = 'idempotency_key_reused';
  constructor(key: string) {
    super(`X-Webhook-Id ${key} was already used for a request with another body: send each request with its own key`, {
      idempotency_key: key,
    });
  }
}

/** What was wrong with a request body that could not be accepted as JSON (`details.problem`). */
export type InvalidJsonProblem = 'syntax' | 'encoding' | 'not_object' | 'nul_character' | 'lone_surrogate' | 'too_deep';

/**
 * A body refused before DTO validation: not JSON, not UTF-8, or JSON we do not accept (a NUL
 * character or an unpaired surrogate in a string or key, nesting deeper than the bound). The
 * message names the problem and, for strings, where (`$.result.note`); it never quotes the body.
 */
export class InvalidJsonError extends AppError {
  readonly status = 400;
  readonly code = 'invalid_json';
  constructor(
    readonly problem: InvalidJsonProblem,
    message: string,
    readonly path?: string,
  ) {
    super(message, { problem, ...(path !== undefined && { path }) });
  }
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly code = 'payload_too_large';
  constructor(readonly limitBytes: number) {
    super(`Request body is larger than the limit of ${limitBytes} bytes`, { limit_bytes: limitBytes });
  }
}

/** The body did not arrive within the body timeout; the filter closes the connection with the answer. */
export class RequestTimeoutError extends AppError {
  readonly status = 408;
  readonly code = 'request_timeout';
  constructor(timeoutMs: number) {
    super(`Request body not received within ${timeoutMs} ms`);
  }
}

/** The client went away before its body was read (nobody is left to read the answer). */
export class RequestAbortedError extends AppError {
  readonly status = 400;
  readonly code = 'request_aborted';
  constructor() {
    super('The request was aborted before its body was received');
  }
}
