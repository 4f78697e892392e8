import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../../config/app-config';

/** Headers whose values never reach a log line. */
export const REDACTED_HEADERS = [
  'authorization',
  'cookie',
  'x-webhook-signature-256',
  'webhook-signature',
  'x-admin-token',
  'proxy-authorization',
];

/** Structured JSON logs (pino) with a request id per request and secrets redacted. */
export function loggerOptions(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      genReqId: (req: IncomingMessage) => {
        const given = req.headers['x-request-id'];
        return typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
      },
      redact: {
        paths: [...REDACTED_HEADERS.map((h) => `req.headers["${h}"]`), 'err.config', '*.password', '*.secret', '*.token'],
        censor: '[redacted]',
      },
      customProps: () => ({ service: 'n8n-webhook-bridge', role: config.role }),
      autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health/live' || req.url === '/metrics' },
    },
  };
}
