import { canLeave } from '../../outbox/delivery-transitions';
import { durationText, excerpt, headerList, jsonText, readableBody, timeView } from '../render/format';
import { deliveryRow } from './deliveries.presenter';
import type { JourneyData } from './journey.reader';

const BODY_EXCERPT = 2000;

/** The journey page's view model: the timeline, the event's other deliveries, and the actions its status allows. */
export function journeyView(data: JourneyData, names: ReadonlyMap<string, string>, csrf: string) {
  const d = data.delivery;
  const attemptNumbers = [
    ...new Set([...d.history.map((h) => h.attempt), ...d.logs.flatMap((l) => (l.attempt === null ? [] : [l.attempt]))]),
  ].sort((a, b) => a - b);
  const attempts = attemptNumbers.map((n) => {
    const history = d.history.find((h) => h.attempt === n);
    const log = d.logs.find((l) => l.attempt === n);
    const outcome = history?.outcome ?? log?.outcome ?? 'unknown';
    return {
      n,
      outcome,
      at: timeView(history?.created_at ?? log?.created_at),
      statusCode: history?.status_code ?? log?.response_status ?? undefined,
      error: history?.error ?? log?.reason ?? undefined,
      duration: durationText(history?.duration_ms ?? log?.duration_ms),
      scheduledDelay: history?.scheduled_delay_ms == null ? undefined : durationText(history.scheduled_delay_ms),
      endpoint: log?.endpoint,
      headers: headerList(log?.request_headers),
      requestBody: readableBody(log?.request_body, BODY_EXCERPT),
      responseBody: excerpt(log?.response_body, BODY_EXCERPT),
    };
  });
  const status = d.status;
  const action = (name: 'retry' | 'cancel' | 'replay', label: string, explain: string) =>
    canLeave(name, status) ? { name, label, explain, href: `/console/deliveries/${d.id}/${name}` } : undefined;
  return {
    csrf,
    delivery: {
      ...deliveryRow(d, names),
      eventId: d.event_id,
      targetUrl: d.target_url,
      priority: d.priority,
      jobState: d.job_state ?? 'none',
      nextRetry: timeView(d.next_retry_at),
    },
    committed: timeView(d.created_at),
    queued: timeView(d.published_at),
    sent: timeView(d.sent_at),
    payload: jsonText(d.payload),
    attempts,
    noAttempts: attempts.length === 0,
    callbacks: data.callbacks.map(({ log, chained }) => ({
      at: timeView(log.created_at),
      endpoint: log.endpoint,
      outcome: log.outcome,
      accepted: log.outcome === 'accepted' || log.outcome === 'duplicate',
      status: log.response_status ?? undefined,
      reason: log.reason ?? undefined,
      sourceIp: log.source_ip ?? 'unknown',
      webhookId: log.delivery_id ?? undefined,
      body: readableBody(log.request_body, BODY_EXCERPT),
      chained: chained.map((c) => deliveryRow(c, names)),
    })),
    siblings: data.siblings.map((s) => deliveryRow(s, names)),
    actions: [
      action('retry', 'Retry', 'Send this failed or cancelled delivery again, with the same delivery id; a new budget of attempts opens.'),
      action('cancel', 'Cancel', 'Take this delivery out of the queue for good: it will not be sent.'),
      action(
        'replay',
        'Replay',
        'Send this finished delivery again, with the same delivery id (receivers can de-duplicate on X-Webhook-Id).',
      ),
    ].filter((a) => a !== undefined),
  };
}
