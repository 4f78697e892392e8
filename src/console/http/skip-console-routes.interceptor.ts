import { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { Observable } from 'rxjs';
import { requestPath } from '../../common/http/body-routes';
import { isConsolePath } from '../console.constants';

/**
 * Wraps the global JSON body interceptor so that it leaves the console's routes alone: console
 * forms are url-encoded, and the console reads them itself after its session check (readForm).
 */
export class SkipConsoleRoutes implements NestInterceptor {
  constructor(private readonly inner: NestInterceptor) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> | Promise<Observable<unknown>> {
    if (context.getType() === 'http' && isConsolePath(requestPath(context.switchToHttp().getRequest<Request>()))) return next.handle();
    return this.inner.intercept(context, next);
  }
}
