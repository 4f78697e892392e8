import { ArgumentsHost, Catch, ExceptionFilter, Injectable, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { randomUUID } from 'node:crypto';
import { ValidationFailedError } from '../../common/errors/app-errors';
import { describeError, errorBody } from '../../common/errors/error-status';
import { TooManyAuthFailuresError } from '../../common/guards/too-many-auth-failures.error';
import type { ConsoleRequest } from '../auth/console-request';
import { ConsoleSignInRequiredError } from '../console.errors';
import { ConsoleViews } from './console-views';
import { nextPath } from './next-path';

const TITLES: Record<number, string> = {
  400: 'That request cannot be done',
  403: 'Refused',
  404: 'Not found',
  409: 'Not possible right now',
  413: 'Too large',
  415: 'Not a form',
  422: 'Too many at once',
  429: 'Too many attempts',
  503: 'Unavailable',
};

/**
 * Errors of console routes as pages (or as the JSON error shape for /console/api/*): a missing
 * session redirects to the sign-in form, remembering the page; a known error shows its message
 * (HTML-escaped by the template); anything else is a 500 with an error id, details in the log only.
 */
@Catch()
@Injectable()
export class ConsoleExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ConsoleExceptions');

  constructor(private readonly views: ConsoleViews) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<ConsoleRequest>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    const json = req.path.startsWith('/console/api/');
    if (exception instanceof ConsoleSignInRequiredError && !json) {
      const next = req.method === 'GET' ? nextPath(req.originalUrl) : '/console';
      res.redirect(303, next === '/console' ? '/console/login' : `/console/login?next=${encodeURIComponent(next)}`);
      return;
    }
    const described = describeError(exception);
    const errorId = described.status >= 500 && described.status !== 503 ? randomUUID() : undefined;
    if (errorId) this.logger.error({ err: exception, error_id: errorId, path: req.path }, 'Unhandled console error');
    const retryAfter = exception instanceof TooManyAuthFailuresError ? exception.retryAfterSeconds : described.retryAfterSeconds;
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    res.status(described.status);
    if (json) {
      res.json({ ...errorBody(described), ...(errorId && { error_id: errorId }) });
      return;
    }
    const session = req.consoleSession;
    res.type('html').send(
      this.views.render(
        'error',
        { title: TITLES[described.status] ?? 'Something went wrong', user: session?.user, csrf: session?.csrf },
        {
          status: described.status,
          title: TITLES[described.status] ?? 'Something went wrong',
          message: errorId ? 'The console could not show this page.' : described.message,
          errorId,
          fields: exception instanceof ValidationFailedError ? exception.fields : [],
        },
      ),
    );
  }
}
