import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { waitFor } from './wait';

export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  raw: Buffer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON of any shape; tests assert on it with expect(), like supertest's `body`
  body: any;
  receivedAt: number;
  /** The status the receiver answered (once it has). */
  answered?: number;
}

/** What the receiver answers; `hang` never answers (to exercise timeouts). */
export type Reply = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'hang';

/**
 * A loopback HTTP server standing in for n8n: records every request and answers what the
 * test scripted (200 by default).
 */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  private server?: Server;
  private responder: (req: ReceivedRequest) => Reply = () => ({ status: 200, body: '{"ok":true}' });
  private hanging: ServerResponse[] = [];

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** Scripts the answers; the function sees each request in arrival order. */
  respondWith(fn: (req: ReceivedRequest) => Reply): void {
    this.responder = fn;
  }

  reset(): void {
    this.requests.length = 0;
    this.respondWith(() => ({ status: 200, body: '{"ok":true}' }));
  }

  byEvent(event: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.headers['x-webhook-event'] === event);
  }

  forEntity(id: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.body?.entity?.id === id);
  }

  waitForCount(predicate: (r: ReceivedRequest) => boolean, count: number, timeoutMs = 15000): Promise<ReceivedRequest[]> {
    return waitFor(
      () => {
        const hits = this.requests.filter(predicate);
        return hits.length >= count ? hits : undefined;
      },
      { timeoutMs, what: `${count} matching request(s) at the receiver` },
    );
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = undefined;
      }
      const received: ReceivedRequest = { path: req.url ?? '', headers: req.headers, raw, body, receivedAt: Date.now() };
      this.requests.push(received);
      const reply = this.responder(received);
      if (reply === 'hang') {
        this.hanging.push(res);
        return;
      }
      const send = () => {
        received.answered = reply.status;
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(reply.body ?? '{}');
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  }
}

/**
 * Checks the default scheme's signature independently of the server's code: HMAC-SHA256(secret,
 * `${ts}.${raw}`). The header may carry several space-separated signatures (a secret rotation):
 * true when one of them matches.
 */
export function signatureVerifies(req: ReceivedRequest, secret: string): boolean {
  const ts = req.headers['x-webhook-timestamp'];
  const header = req.headers['x-webhook-signature-256'];
  if (typeof ts !== 'string' || typeof header !== 'string') return false;
  const expected = createHmac('sha256', secret).update(`${ts}.`).update(req.raw).digest();
  return header
    .split(' ')
    .filter((sig) => sig.startsWith('sha256='))
    .some((sig) => {
      const given = Buffer.from(sig.slice(7), 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

/** How many signatures the request's `X-Webhook-Signature-256` header carries. */
export function signatureCount(req: ReceivedRequest): number {
  const header = req.headers['x-webhook-signature-256'];
  return typeof header === 'string' ? header.split(' ').filter(Boolean).length : 0;
}
