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
  constructor(message: string, current?: unknown) {
    super(message, current);
  }
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
  constructor(message: string) {
    super(message);
  }
}
