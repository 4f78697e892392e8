import type { IncomingLogRow } from '../../audit/webhook-log.repository';
import { excerpt, headerList, readableBody, timeView } from '../render/format';

/** What the outcome filter offers: accepted (and repeats answered from the idempotency store), or refused for any reason. */
export const OUTCOME_FILTERS = {
  accepted: ['accepted', 'duplicate'],
  refused: ['rejected', 'refused', 'invalid', 'error'],
} as const;
export type OutcomeFilter = keyof typeof OUTCOME_FILTERS;

export function isOutcomeFilter(value: unknown): value is OutcomeFilter {
  return value === 'accepted' || value === 'refused';
}

/** The callbacks page's view model. */
export function callbacksView(rows: IncomingLogRow[], outcome: OutcomeFilter | undefined, nextCursor: string | undefined) {
  const option = (value: string, label: string) => ({ value, label, selected: value === (outcome ?? '') });
  return {
    outcomes: [option('', 'Accepted and refused'), option('accepted', 'Accepted'), option('refused', 'Refused')],
    rows: rows.map((r) => ({
      id: r.id,
      at: timeView(r.created_at),
      endpoint: r.endpoint.replace(/^\/api\/v1\/webhooks\/n8n\//, ''),
      path: r.endpoint,
      method: r.method,
      outcome: r.outcome,
      accepted: r.outcome === 'accepted' || r.outcome === 'duplicate',
      status: r.response_status ?? undefined,
      reason: excerpt(r.reason, 300),
      sourceIp: r.source_ip ?? 'unknown',
      webhookId: r.delivery_id ?? undefined,
      duration: r.duration_ms === null ? undefined : `${r.duration_ms} ms`,
      headers: headerList(r.request_headers),
      body: readableBody(r.request_body, 2000),
      response: excerpt(r.response_body, 1000),
    })),
    empty: rows.length === 0,
    next: nextCursor
      ? `/console/callbacks?${new URLSearchParams({ ...(outcome && { outcome }), cursor: nextCursor }).toString()}`
      : undefined,
  };
}
