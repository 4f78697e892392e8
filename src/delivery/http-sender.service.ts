import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Agent, request } from 'undici';
import { decodeText, sanitizeText, TEXT_LIMITS } from '../common/text/sanitize-text';
import { APP_CONFIG, AppConfig } from '../config/app-config';

export interface HttpResult {
  status?: number;
  headers?: Record<string, string | string[] | undefined>;
  /** An excerpt of the response body (see readExcerpt), storable as is. */
  body?: string;
  /** Set when no status line arrived: a network error or the timeout. Storable as is. */
  error?: string;
  durationMs: number;
}

/** What is kept of a response body. */
const MAX_RESPONSE_BYTES = 8 * 1024;
/** What is read of it at most (the rest discarded) to keep the connection reusable. */
const MAX_DRAINED_BYTES = 1024 * 1024;
/** Once the status line is in, the body is read for at most this long (and WEBHOOK_TIMEOUT_MS). */
const BODY_READ_MS = 1000;

/** POSTs over a keep-alive undici pool, bounded by WEBHOOK_TIMEOUT_MS; never throws. */
@Injectable()
export class HttpSenderService implements OnApplicationShutdown {
  private readonly agent: Agent;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.agent = new Agent({
      connections: Math.max(8, config.webhook.concurrency),
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 120_000,
      connectTimeout: Math.min(10_000, config.webhook.timeoutMs),
      headersTimeout: config.webhook.timeoutMs,
      bodyTimeout: config.webhook.timeoutMs,
    });
  }

  /**
   * The status line decides the outcome: once it has arrived, the attempt is answered whatever
   * the body then does (streams for minutes, never ends, breaks off); the body is only an
   * excerpt for the audit trail. Before it, a network error or WEBHOOK_TIMEOUT_MS is a failure.
   */
  async post(url: string, headers: Record<string, string>, body: string): Promise<HttpResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const timeoutMs = this.config.webhook.timeoutMs;
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(url, { method: 'POST', headers, body, dispatcher: this.agent, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      return { error: describeNetworkError(error, timeoutMs), durationMs: elapsed() };
    }
    const excerpt = await readExcerpt(res.body, Math.min(BODY_READ_MS, timeoutMs));
    return { status: res.statusCode, headers: res.headers, body: excerpt, durationMs: elapsed() };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}

/**
 * The first 8 KB of the body, for the audit trail. The rest is read and discarded so that the
 * connection can go back to the keep-alive pool, but for at most `withinMs` and 1 MB: past
 * either, the body is dropped (which closes that connection). Never throws: a body not kept
 * whole is marked `…[cut: why]`.
 */
async function readExcerpt(body: AsyncIterable<Buffer> & { destroy(): void }, withinMs: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  let cut: string | undefined;
  const timer = setTimeout(() => {
    cut = `body still arriving after ${withinMs} ms`;
    body.destroy();
  }, withinMs);
  try {
    for await (const chunk of body) {
      if (size < MAX_RESPONSE_BYTES) chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - size));
      size += chunk.length;
      if (size > MAX_DRAINED_BYTES) {
        cut = `more than ${MAX_DRAINED_BYTES} bytes, not read to the end`;
        break; // leaving the loop destroys the body
      }
    }
  } catch (error) {
    cut ??= `body read failed: ${(error as { message?: string } | null | undefined)?.message ?? String(error)}`;
  } finally {
    clearTimeout(timer);
  }
  if (size > MAX_RESPONSE_BYTES) cut ??= `${size} bytes, the first ${MAX_RESPONSE_BYTES} kept`;
  const excerpt = decodeText(Buffer.concat(chunks), TEXT_LIMITS.body);
  return cut ? `${excerpt}…[cut: ${sanitizeText(cut, 200)}]` : excerpt;
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  // Anything can be thrown: null and primitives included.
  const err = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } } | null | undefined;
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError' || /Timeout/i.test(err?.code ?? ''))
    return `timeout: no response within ${timeoutMs} ms`;
  const code = err?.code ?? err?.cause?.code;
  return sanitizeText(`network error${code ? ` ${code}` : ''}: ${err?.message ?? err?.cause?.message ?? String(error)}`, 500);
}
