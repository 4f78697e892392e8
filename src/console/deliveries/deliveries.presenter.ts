import { EVENT_TYPES } from '../../events/event-catalog';
import type { DeliverySummary } from '../../operations/dto/delivery.response';
import type { SubscriptionResponse } from '../../operations/subscriptions/dto/subscription.response';
import { DELIVERY_STATUSES } from '../../outbox/outbox-event.entity';
import type { FieldError } from '../../common/errors/app-errors';
import { excerpt, timeView } from '../render/format';
import { filterQuery, FilterForm } from './delivery-filter';

/** One row of the deliveries table: what the template shows and what the live JSON sends (the same fields). */
export interface DeliveryRowView {
  id: string;
  href: string;
  createdIso: string;
  createdText: string;
  event: string;
  entity: string;
  entityId: string;
  status: string;
  attempts: string;
  lastCode: string;
  lastError: string;
  subscription: string;
}

export function deliveryRow(d: DeliverySummary, names: ReadonlyMap<string, string>): DeliveryRowView {
  const created = timeView(d.created_at);
  return {
    id: d.id,
    href: `/console/deliveries/${d.id}`,
    createdIso: created.iso,
    createdText: created.text,
    event: d.event,
    entity: d.entity.type,
    entityId: d.entity.id,
    status: d.status,
    attempts: `${d.attempts}/${d.max_attempts}`,
    lastCode: d.last_status_code === null ? '' : String(d.last_status_code),
    lastError: excerpt(d.last_error, 120) ?? '',
    subscription: names.get(d.subscription_id) ?? d.subscription_id.slice(0, 8),
  };
}

const option = (value: string, label: string, current: string) => ({ value, label, selected: value === current });

/** The deliveries page's view model. */
export function deliveriesView(input: {
  form: FilterForm;
  errors: FieldError[];
  rows: DeliveryRowView[];
  nextCursor: string | null;
  subscriptions: SubscriptionResponse[];
  searched?: string;
}) {
  const { form, errors, rows, nextCursor } = input;
  const query = filterQuery(form);
  const firstPage = form.cursor === '';
  return {
    form,
    errors,
    statuses: [option('', 'Any status', form.status), ...DELIVERY_STATUSES.map((s) => option(s, s, form.status))],
    events: [option('', 'Any event', form.event), ...EVENT_TYPES.map((e) => option(e, e, form.event))],
    subscriptions: [
      option('', 'Any subscription', form.subscription_id),
      ...input.subscriptions.map((s) => option(s.id, s.name, form.subscription_id)),
    ],
    rows,
    empty: rows.length === 0,
    searched: input.searched,
    next: nextCursor ? `/console/deliveries${filterQuery(form, { cursor: nextCursor })}` : undefined,
    newest: firstPage ? undefined : `/console/deliveries${query}`,
    // Only the first page follows new deliveries; a later page stays where it is.
    live: firstPage && errors.length === 0 ? `/console/api/deliveries${query}` : undefined,
  };
}
