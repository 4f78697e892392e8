import { ReceivedRequest, TestReceiver } from '../support/receiver';

export interface ScriptedReply {
  status: number;
  delayMs: number;
}

/** A reply after a random delay in [minMs, maxMs]: a receiver that is slow, as n8n under load is. */
export const slowOk = (minMs: number, maxMs: number) => (): ScriptedReply => ({
  status: 200,
  delayMs: Math.round(minMs + Math.random() * (maxMs - minMs)),
});

/**
 * Scripts a TestReceiver's answers and remembers, per request, what it was answered and when, so
 * a test can tell which requests were in flight at a given moment (received, not answered yet)
 * and which ones the receiver accepted (2xx).
 */
export class ScriptedReplies {
  private readonly replies = new Map<ReceivedRequest, ScriptedReply & { answerAt: number }>();

  constructor(
    readonly receiver: TestReceiver,
    script: (req: ReceivedRequest) => ScriptedReply,
  ) {
    receiver.respondWith((req) => {
      const reply = script(req);
      this.replies.set(req, { ...reply, answerAt: req.receivedAt + reply.delayMs });
      return { status: reply.status, delayMs: reply.delayMs, body: JSON.stringify({ ok: reply.status < 300 }) };
    });
  }

  /** Requests in flight at some moment from `from` to `to`: received by `to`, due to be answered after `from`. */
  inFlightBetween(from: number, to: number): ReceivedRequest[] {
    return this.receiver.requests.filter((r) => {
      const reply = this.replies.get(r);
      return reply !== undefined && r.receivedAt <= to && reply.answerAt > from;
    });
  }

  accepted(req: ReceivedRequest): boolean {
    const status = this.replies.get(req)?.status;
    return status !== undefined && status >= 200 && status < 300;
  }
}

export const webhookId = (r: ReceivedRequest): string => String(r.headers['x-webhook-id']);
export const webhookAttempt = (r: ReceivedRequest): number => Number(r.headers['x-webhook-attempt']);

/** Requests grouped by X-Webhook-Id, each group in arrival order. */
export function requestsById(requests: readonly ReceivedRequest[]): Map<string, ReceivedRequest[]> {
  const byId = new Map<string, ReceivedRequest[]>();
  for (const r of requests) {
    const list = byId.get(webhookId(r));
    if (list) list.push(r);
    else byId.set(webhookId(r), [r]);
  }
  return byId;
}
