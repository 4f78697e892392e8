import type { AppConfig } from '../config/app-config';
import { EventType, eventPath } from './event-catalog';

/** Where an event type is delivered: its override, or N8N_BASE_URL/webhook/<event-with-dashes>; null when switched off. */
export function targetUrl(config: AppConfig, type: EventType): string | null {
  if (config.n8n.disabledEvents.includes(type)) return null;
  return config.n8n.webhookUrls[type] ?? `${config.n8n.baseUrl}/webhook/${eventPath(type)}`;
}
