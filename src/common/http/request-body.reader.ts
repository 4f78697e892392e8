import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { PayloadTooLargeError, RequestAbortedError, RequestTimeoutError, ServiceUnavailableError } from '../errors/app-errors';
import { BodyGate } from './body-gate';
import { isCallbackPath, requestPath } from './body-routes';
import { parseByteSize } from './byte-size';
import { assertJsonContentType } from './json-content-type';
import { parseJsonBody } from './strict-json';

/** A request whose body this reader handles: the exact bytes end up in `rawBody`, the parsed JSON in `body`. */
export type RequestWithBody = Request & { rawBody?: Buffer };

const PARSED = Symbol('bodyParsed');
type Marked = RequestWithBody & { [PARSED]?: true };

const EMPTY = Buffer.alloc(0);

/**
 * Reads request bodies in two steps that callers can separate: `readRaw` (the exact bytes,
 * bounded) and `parse` (strict JSON, see parseJsonBody). The signature guard verifies in between,
 * so an unauthenticated body is never turned into objects; other routes call `readJson`.
 *
 * Bounds, from `config.http`: a limit in bytes (CALLBACK_BODY_LIMIT or BODY_LIMIT), a declared
 * Content-Length over it refused before reading; at most HTTP_MAX_CONCURRENT_BODIES bodies read
 * at once in the process (a request waits up to HTTP_BODY_TIMEOUT_MS for its turn, then 503 +
 * Retry-After); a body that takes longer than HTTP_BODY_TIMEOUT_MS to arrive gets 408 and its
 * connection closed.
 */
@Injectable()
export class RequestBodyReader {
  readonly callbackLimit: number;
  readonly defaultLimit: number;
  private readonly timeoutMs: number;
  private readonly gate: BodyGate;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.callbackLimit = parseByteSize(config.http.callbackBodyLimit);
    this.defaultLimit = parseByteSize(config.bodyLimit);
    this.timeoutMs = config.http.bodyTimeoutMs;
    this.gate = new BodyGate(config.http.maxConcurrentBodies);
  }

  /** The limit for a route: callbacks are small; the admin API gets BODY_LIMIT. */
  private limitFor(req: Request): number {
    return isCallbackPath(requestPath(req)) ? this.callbackLimit : this.defaultLimit;
  }

  /** The exact bytes of the body (empty when there is none), read once and kept on `req.rawBody`. */
  async readRaw(req: RequestWithBody, limit = this.limitFor(req)): Promise<Buffer> {
    if (req.rawBody) return req.rawBody;
    if (!hasBody(req)) return (req.rawBody = EMPTY);
    assertJsonContentType(req.headers);
    const declared = Number(req.headers['content-length']);
    if (declared > limit) throw new PayloadTooLargeError(limit);

    const release = await this.acquire(req);
    try {
      req.rawBody = await readStream(req, limit, this.timeoutMs);
      return req.rawBody;
    } finally {
      release();
    }
  }

  /** Parses `req.rawBody` (already read) into `req.body`, once. */
  parse(req: RequestWithBody): void {
    const marked = req as Marked;
    if (marked[PARSED]) return;
    if (!req.rawBody) throw new Error('RequestBodyReader.parse called before readRaw');
    req.body = parseJsonBody(req.rawBody);
    marked[PARSED] = true;
  }

  /** Reads (if nobody did yet) and parses the body. */
  async readJson(req: RequestWithBody): Promise<void> {
    if ((req as Marked)[PARSED]) return;
    await this.readRaw(req);
    this.parse(req);
  }

  private async acquire(req: Request): Promise<() => void> {
    if (!req.complete && (req.destroyed || req.socket.destroyed)) throw new RequestAbortedError();
    try {
      return await this.gate.acquire(this.timeoutMs, (cancel) => {
        req.once('close', cancel);
        return () => req.off('close', cancel);
      });
    } catch (why) {
      if (why === 'aborted') throw new RequestAbortedError();
      throw new ServiceUnavailableError('Too many request bodies are being received at once; retry shortly', 1);
    }
  }
}

/** As type-is: a body is announced by Transfer-Encoding or a non-zero Content-Length. */
function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Collects the body up to `limit` bytes within `timeoutMs`. On a timeout the answer carries
 * `Connection: close` (the rest of the body is not waited for).
 */
function readStream(req: Request, limit: number, timeoutMs: number): Promise<Buffer> {
  if (req.readableEnded) return Promise.reject(new Error('The request body was already consumed by another reader'));
  // The client went away before we started reading (e.g. while the guards awaited Redis): its
  // 'close' has already fired, so waiting for one would hold a body slot until the timeout.
  if (!req.complete && (req.destroyed || req.socket.destroyed)) return Promise.reject(new RequestAbortedError());
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('close', onClose);
      req.off('error', onError);
      if (!error) {
        resolve(Buffer.concat(chunks, received));
        return;
      }
      chunks.length = 0;
      if (error instanceof RequestTimeoutError) {
        // A sender this slow is not waited for: answer, then close the connection.
        req.res?.setHeader('Connection', 'close');
      } else if (error instanceof PayloadTooLargeError) {
        // Discard the rest without keeping it (bounded by HTTP_REQUEST_TIMEOUT_MS), so the client reads its 413
        // instead of a reset, as Node does for a body nobody read.
        req.resume();
      }
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) finish(new PayloadTooLargeError(limit));
      else chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onAborted = () => finish(new RequestAbortedError());
    const onClose = () => {
      if (!req.complete) finish(new RequestAbortedError());
    };
    // A stream error here is the connection failing under the body (reset, malformed chunking).
    const onError = () => finish(new RequestAbortedError());
    const timer = setTimeout(() => finish(new RequestTimeoutError(timeoutMs)), timeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    req.on('close', onClose);
    req.on('error', onError);
  });
}
