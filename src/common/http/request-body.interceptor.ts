import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { from, Observable, switchMap } from 'rxjs';
import { RequestBodyReader, RequestWithBody } from './request-body.reader';

/**
 * Global: reads and parses the JSON body of every HTTP route, after its guards ran (so the admin
 * API authenticates before a byte of the body is read) and before its pipes validate `@Body()`.
 * Routes behind `WebhookSignatureGuard` arrive with their verified body already parsed: nothing
 * to do. Bodies are read by `RequestBodyReader` (limits, concurrency bound, timeout, strict JSON).
 */
@Injectable()
export class RequestBodyInterceptor implements NestInterceptor {
  constructor(private readonly bodies: RequestBodyReader) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<RequestWithBody>();
    return from(this.bodies.readJson(req)).pipe(switchMap(() => next.handle()));
  }
}
