import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import type { Server } from 'node:http';
import { Logger } from 'nestjs-pino';
import { applyServerLimits } from '../common/http/http-server-limits';
import { RequestBodyInterceptor } from '../common/http/request-body.interceptor';
import { createValidationPipe } from '../common/pipes/validation.pipe';
import { AppConfig } from '../config/app-config';
import { CONSOLE_ROUTE } from '../console/console.constants';
import { consoleHeaders } from '../console/http/console-headers';
import { SkipConsoleRoutes } from '../console/http/skip-console-routes.interceptor';

/**
 * HTTP-level setup shared by `main.ts` and the e2e tests, so both serve the same app. Call it
 * before `listen()`/`init()`, on an app created with `bodyParser: false`: no Express body parser
 * is installed. Bodies are read after the guards by `RequestBodyInterceptor` (JSON only, with
 * BODY_LIMIT), and callback bodies by the signature guard (CALLBACK_BODY_LIMIT, verified before parsing).
 */
export function configureHttpApp(app: INestApplication, config: AppConfig): void {
  const express = app as NestExpressApplication;
  express.useLogger(app.get(Logger));
  // Off by default: X-Forwarded-For is only believed from the proxies named in TRUST_PROXY.
  express.set('trust proxy', config.http.trustProxy);
  express.disable('x-powered-by');
  applyServerLimits(app.getHttpServer() as Server, config.http);
  // No CSP for the JSON API, Swagger UI (/docs) and Bull Board; the console's pages get a strict one.
  app.use(helmet({ contentSecurityPolicy: false }));
  app.use(CONSOLE_ROUTE, consoleHeaders());
  // Console forms are url-encoded and read by the console itself, after its session check.
  app.useGlobalInterceptors(new SkipConsoleRoutes(app.get(RequestBodyInterceptor)));
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();

  if (config.http.apiDocsEnabled) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('n8n webhook bridge')
        .setDescription('Signed webhooks between the lead-generation backend and n8n workflows')
        .setVersion('1')
        .addBearerAuth()
        .build(),
    );
    SwaggerModule.setup('docs', app, document);
  }
}
