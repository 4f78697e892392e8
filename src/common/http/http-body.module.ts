import { Module } from '@nestjs/common';
import { RequestBodyInterceptor } from './request-body.interceptor';
import { RequestBodyReader } from './request-body.reader';

/**
 * Request body reading for the whole HTTP app (no Express body parser is installed): the reader is
 * injectable (the signature guard reads callback bodies itself), the interceptor is made global
 * by `configureHttpApp` (so the API root imports this module).
 */
@Module({
  providers: [RequestBodyReader, RequestBodyInterceptor],
  exports: [RequestBodyReader, RequestBodyInterceptor],
})
export class HttpBodyModule {}
