import type { FieldError } from '../../common/errors/app-errors';
import { ListDeliveriesQuery } from '../../operations/dto/list-deliveries.query';
import { validateDto } from '../render/validate-dto';

/** The deliveries page shows this many rows per page. */
export const CONSOLE_PAGE_SIZE = 50;

const FIELDS = ['status', 'event', 'subscription_id', 'entity_id', 'event_id', 'since', 'until', 'cursor'] as const;
type FilterField = (typeof FIELDS)[number];

/** The filter as the form shows it again (what was typed, empty fields included). */
export type FilterForm = Record<FilterField, string>;

/** A `datetime-local` value (`2026-12-01T18:00`) is read as UTC, as the page says. */
const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

/**
 * The query of the deliveries page (and of its JSON twin) as a ListDeliveriesQuery, validated
 * by the JSON API's own rules; empty fields are no filter. Unknown parameters are ignored.
 */
export function parseDeliveryFilter(query: Record<string, unknown>): {
  form: FilterForm;
  query: ListDeliveriesQuery;
  errors: FieldError[];
} {
  const form = Object.fromEntries(FIELDS.map((f) => [f, single(query[f])])) as FilterForm;
  const plain: Record<string, unknown> = { limit: CONSOLE_PAGE_SIZE };
  for (const field of FIELDS) {
    const value = form[field];
    if (value === '') continue;
    plain[field] = (field === 'since' || field === 'until') && LOCAL_DATE_TIME.test(value) ? `${value}Z` : value;
  }
  const { value, errors } = validateDto(ListDeliveriesQuery, plain);
  return { form, query: value, errors };
}

/** The filter as a query string (without the cursor), for links. */
export function filterQuery(form: FilterForm, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const field of FIELDS) if (field !== 'cursor' && form[field] !== '') params.set(field, form[field]);
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  const text = params.toString();
  return text ? `?${text}` : '';
}

function single(value: unknown): string {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.trim().slice(0, 400) : '';
}
