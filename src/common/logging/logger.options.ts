import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import type { Params } from 'nestjs-pino';
import { levels } from 'pino';
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

const REDACTED = new Set(REDACTED_HEADERS);
const CENSOR = '[redacted]';

/** Readable lines for a developer's terminal: local time, colours, without the fields every line repeats. */
const PRETTY = { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } };

/** The request as pino-std-serializers maps it (what pino-http hands a custom `req` serializer). */
interface SerializedRequest {
  id?: unknown;
  method?: string;
  url?: string;
  query?: unknown;
  params?: unknown;
  headers: IncomingMessage['headers'];
  remoteAddress?: string;
  remotePort?: number;
}

/**
 * Structured JSON logs (pino) with a request id per request and secrets redacted. In development,
 * when stdout is a terminal (a person reading, not a collector), the same lines are printed
 * readably by pino-pretty (in pino's transport thread); everywhere else they stay JSON.
 *
 * Cheap on the hot path: pino-http serialises the request into every request's child logger, so
 * credential headers are replaced here, in one pass over the headers, instead of by path-based
 * redaction (which clones the object); the generic paths (`*.password`, `err.config`, …) stay in
 * `redact`. The service/role fields are base bindings, not a per-request child. And when `info`
 * is filtered out (LOG_LEVEL=warn and above), the per-request completion line — logged at
 * `info` — could never be written, so it is not assembled at all.
 */
export function loggerOptions(
  config: AppConfig,
  // Typed boolean, but undefined at runtime when stdout is not a terminal (a pipe, a file).
  stdoutIsTTY = (process.stdout as { isTTY?: boolean }).isTTY === true,
): Params {
  const infoEnabled = levelValue(config.logLevel) <= levelValue('info');
  return {
    pinoHttp: {
      level: config.logLevel,
      ...(config.env === 'development' && stdoutIsTTY && { transport: PRETTY }),
      base: { pid: process.pid, hostname: hostname(), service: 'n8n-webhook-bridge', role: config.role },
      genReqId: (req: IncomingMessage) => {
        const given = req.headers['x-request-id'];
        return typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
      },
      serializers: { req: serializeRequest },
      redact: { paths: ['err.config', '*.password', '*.secret', '*.token'], censor: CENSOR },
      autoLogging: infoEnabled ? { ignore: (req: IncomingMessage) => req.url === '/health/live' || req.url === '/metrics' } : false,
    },
  };
}

/** The request for a log line: the usual fields, credential header values replaced. */
export function serializeRequest(req: SerializedRequest): Record<string, unknown> {
  const headers: Record<string, unknown> = {};
  for (const name in req.headers) headers[name] = REDACTED.has(name) ? CENSOR : req.headers[name];
  return {
    id: req.id,
    method: req.method,
    url: req.url,
    query: req.query,
    params: req.params,
    headers,
    remoteAddress: req.remoteAddress,
    remotePort: req.remotePort,
  };
}

/** pino's number for a level name; an unknown name counts as `info`. */
function levelValue(level: string): number {
  if (level === 'silent') return Infinity;
  const value = levels.values[level] ?? levels.values.info;
  if (value === undefined) throw new Error('pino defines no "info" level');
  return value;
}
