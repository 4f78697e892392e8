import { Injectable } from '@nestjs/common';
import { IncomingLogRow, WebhookLogRepository } from '../../audit/webhook-log.repository';
import { DeliveryQueryService } from '../../operations/delivery-query.service';
import { DeliveryDetail, DeliverySummary } from '../../operations/dto/delivery.response';
import { ListDeliveriesQuery } from '../../operations/dto/list-deliveries.query';

const MAX_CALLBACKS = 20;
const MAX_CHAINED_LOOKUPS = 10;
const MIN_TERM_LENGTH = 6;

/** A callback n8n sent about the event's entity or execution, with the events raised while it was applied. */
export interface JourneyCallback {
  log: IncomingLogRow;
  chained: DeliverySummary[];
}

export interface JourneyData {
  delivery: DeliveryDetail;
  /** The other deliveries of the same event (one per subscription). */
  siblings: DeliverySummary[];
  callbacks: JourneyCallback[];
}

/**
 * One event's journey: the delivery with its attempts (DeliveryQueryService.get, as
 * GET /deliveries/:id), the event's other deliveries, the callbacks n8n sent afterwards whose
 * body names the entity, the lead or an execution id n8n answered with (webhook_logs, incoming),
 * and the events each accepted callback raised about an entity it names.
 */
@Injectable()
export class JourneyReader {
  constructor(
    private readonly query: DeliveryQueryService,
    private readonly logs: WebhookLogRepository,
  ) {}

  async read(id: string): Promise<JourneyData> {
    const delivery = await this.query.get(id);
    const [entityPage, logs] = await Promise.all([
      this.list({ entity_id: delivery.entity.id, limit: 100 }),
      this.logs.listIncoming(
        { mentioning: mentionTerms(delivery), since: new Date(Date.parse(delivery.created_at) - 1000) },
        MAX_CALLBACKS,
      ),
    ]);
    const siblings = entityPage.filter((d) => d.event_id === delivery.event_id && d.id !== delivery.id);
    let lookups = 0;
    const callbacks = await Promise.all(
      logs
        .slice()
        .reverse()
        .map(async (log): Promise<JourneyCallback> => {
          if (log.outcome !== 'accepted' || lookups >= MAX_CHAINED_LOOKUPS) return { log, chained: [] };
          const ids = idsNamedIn(log.request_body, log.response_body).slice(0, 3);
          lookups += ids.length;
          const started = log.created_at.getTime() - (log.duration_ms ?? 0) - 1000;
          const pages = await Promise.all(
            ids.map((entityId) =>
              this.list({
                entity_id: entityId,
                since: new Date(started).toISOString(),
                until: new Date(log.created_at.getTime() + 1000).toISOString(),
                limit: 20,
              }),
            ),
          );
          const chained = pages.flat().filter((d, i, all) => d.event_id !== delivery.event_id && all.findIndex((o) => o.id === d.id) === i);
          return { log, chained };
        }),
    );
    return { delivery, siblings, callbacks };
  }

  private async list(filter: Partial<ListDeliveriesQuery>): Promise<DeliverySummary[]> {
    return (await this.query.list(Object.assign(new ListDeliveriesQuery(), filter))).items;
  }
}

/** Texts that identify what the event is about: its entity id, the lead in its data, the execution ids n8n answered with. */
export function mentionTerms(delivery: DeliveryDetail): string[] {
  const data = (delivery.payload.data ?? {}) as Record<string, unknown>;
  const terms = [delivery.entity.id, data.lead_id, data.demo_id, data.video_id];
  for (const log of delivery.logs) {
    const body = parseObject(log.response_body);
    for (const [key, value] of Object.entries(body)) if (/^execution_?id$/i.test(key)) terms.push(value);
  }
  const texts = terms.map((t) => (typeof t === 'number' ? String(t) : t)).filter((t): t is string => typeof t === 'string');
  return [...new Set(texts.filter((t) => t.length >= MIN_TERM_LENGTH))];
}

/** The `*_id` values of a callback's request and response bodies (the entities it is about). */
export function idsNamedIn(...bodies: (string | null)[]): string[] {
  const ids = bodies.flatMap((body) =>
    Object.entries(parseObject(body))
      .filter(([key, value]) => /_id$/.test(key) && key !== 'workflow_id' && key !== 'execution_id' && typeof value === 'string')
      .map(([, value]) => value as string),
  );
  return [...new Set(ids.filter((id) => id.length >= MIN_TERM_LENGTH && id.length <= 200))];
}

function parseObject(text: string | null | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
