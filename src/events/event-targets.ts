import { EventType, eventPath } from './event-catalog';

/** The part of the n8n configuration that decides where events go (declared here so `events` imports nothing from outside itself). */
export interface EventTargetsConfig {
  n8n: {
    baseUrl: string;
    /** Per-event URL overrides. */
    webhookUrls: Partial<Record<EventType, string>>;
    /** Event types that are switched off. */
    disabledEvents: readonly EventType[];
  };
}

/** Where an event type is delivered: its override, or N8N_BASE_URL/webhook/<event-with-dashes>; null when switched off. */
export function targetUrl(config: EventTargetsConfig, type: EventType): string | null {
  if (config.n8n.disabledEvents.includes(type)) return null;
  return config.n8n.webhookUrls[type] ?? `${config.n8n.baseUrl}/webhook/${eventPath(type)}`;
}
