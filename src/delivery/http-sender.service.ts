import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Agent, request } from 'undici';
import { APP_CONFIG, AppConfig } from '../config/app-config';

export interface HttpResult {
  status?: number;
  headers?: Record<string, string | string[] | undefined>;
  /** First 8 KB of the response body. */
  body?: string;
  /** Set when no response arrived: a network error or the timeout. */
  error?: string;
  durationMs: number;
}

const MAX_RESPONSE_BYTES = 8 * 1024;

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

  async post(url: string, headers: Record<string, string>, body: string): Promise<HttpResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const res = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.config.webhook.timeoutMs),
      });
      const text = await readLimited(res.body);
      return { status: res.statusCode, headers: res.headers, body: text, durationMs: elapsed() };
    } catch (error) {
      return { error: describeNetworkError(error, this.config.webhook.timeoutMs), durationMs: elapsed() };
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy?: () => void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < MAX_RESPONSE_BYTES) chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - size));
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  const err = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError' || /Timeout/i.test(err?.code ?? ''))
    return `timeout: no response within ${timeoutMs} ms`;
  const code = err?.code ?? err?.cause?.code;
  return `network error${code ? ` ${code}` : ''}: ${err?.message ?? err?.cause?.message ?? String(error)}`.slice(0, 500);
}
