import { BadRequestException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import {
  ConflictError,
  EntityNotFoundError,
  IdempotencyKeyReusedError,
  ServiceUnavailableError,
  ValidationFailedError,
} from './app-errors';
import { describeError } from './error-status';

describe('describeError', () => {
  it('keeps the status, code, message and details of a named error', () => {
    expect(describeError(new EntityNotFoundError('Lead', 'x'))).toEqual({
      status: 404,
      code: 'not_found',
      message: 'Lead x not found',
      details: { entity: 'Lead', id: 'x' },
    });
    expect(describeError(new IdempotencyKeyReusedError('k'))).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    expect(describeError(new ValidationFailedError([{ field: 'url', errors: ['url must be a URL'] }]))).toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
    expect(describeError(new ConflictError('taken'))).toEqual({ status: 409, code: 'conflict', message: 'taken' });
  });

  it('gives a 503 its Retry-After', () => {
    expect(describeError(new ServiceUnavailableError('busy', 7))).toMatchObject({
      status: 503,
      code: 'service_unavailable',
      retryAfterSeconds: 7,
    });
    expect(describeError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toEqual({
      status: 503,
      code: 'service_unavailable',
      message: 'The database is unavailable; retry later',
      retryAfterSeconds: 5,
    });
  });

  it('answers body-parser errors from their type, never their message', () => {
    const parser = Object.assign(new Error('Unexpected token } in JSON: {"secret"'), { type: 'entity.parse.failed', status: 400 });
    expect(describeError(parser)).toEqual({ status: 400, code: 'invalid_json', message: 'Request body is not valid JSON' });
    expect(describeError(new PayloadTooLargeException('x', { cause: { type: 'entity.too.large' } }))).toMatchObject({
      status: 413,
      code: 'payload_too_large',
    });
  });

  it('keeps the status of Nest HTTP exceptions and other 4xx errors', () => {
    expect(describeError(new NotFoundException('Cannot GET /x'))).toEqual({ status: 404, code: 'not_found', message: 'Cannot GET /x' });
    expect(describeError(new BadRequestException())).toMatchObject({ status: 400, code: 'bad_request' });
    expect(describeError(Object.assign(new Error('Range Not Satisfiable'), { status: 416 }))).toMatchObject({
      status: 416,
      code: 'requested_range_not_satisfiable',
    });
  });

  it('says nothing about an unknown error', () => {
    expect(describeError(new Error('password=hunter2'))).toEqual({ status: 500, code: 'internal_error', message: 'Internal server error' });
    expect(describeError(Object.assign(new Error('upstream'), { status: 502 }))).toMatchObject({ status: 500 });
  });
});
