import type { AppConfig } from '../config/app-config';
import type { EventType } from '../events/event-catalog';
import { targetUrl } from '../events/event-targets';

/** `data.source` of the workflow_error events the bridge raises about itself (alerts). */
export const ALERT_SOURCE = 'webhook-bridge';

/** An alert raised by the bridge itself (never alerted about again, so a failing alert target cannot loop). */
export function isAlertPayload(payload: Record<string, unknown> | null | undefined): boolean {
  const data = payload?.data as { source?: unknown } | undefined;
  return payload?.event === 'workflow_error' && data?.source === ALERT_SOURCE;
}

/**
 * Where an event is delivered, resolved at send time: alerts go to ALERT_WEBHOOK_URL when set,
 * every other event (and alerts without it) to its configured target; null when switched off.
 */
export function deliveryTarget(config: AppConfig, type: EventType, payload: Record<string, unknown>): string | null {
  const normal = targetUrl(config, type);
  if (normal && config.alerts.webhookUrl && isAlertPayload(payload)) return config.alerts.webhookUrl;
  return normal;
}
