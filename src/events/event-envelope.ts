import type { EventPriority, EventType } from './event-catalog';

/** What an n8n workflow receives: the JSON body of every outgoing webhook. */
export interface EventEnvelope<D = Record<string, unknown>> {
  id: string;
  event: EventType;
  created_at: string;
  priority: EventPriority;
  entity: { type: string; id: string };
  data: D;
}

/** One event to raise: the entity it is about and what the workflow needs to act on it. */
export interface EventInput {
  type: EventType;
  entity: { type: string; id: string };
  data: Record<string, unknown>;
  /** Overrides the event type's default priority. */
  priority?: EventPriority;
}
