import { AppError, FieldError } from '../../common/errors/app-errors';
import { EVENT_TYPES } from '../../events/event-catalog';
import { ALL_EVENTS } from '../../operations/subscriptions/dto/subscription-fields';
import { CreateSubscriptionDto, UpdateSubscriptionDto } from '../../operations/subscriptions/dto/subscription-input.dto';
import type { SubscriptionResponse } from '../../operations/subscriptions/dto/subscription.response';
import { ORDERINGS } from '../../subscriptions/subscription.entity';
import type { FormFields } from '../http/form-body';
import { validateDto } from '../render/validate-dto';

/** The subscription form's fields as typed (what the form shows again after an error; never the secret). */
export interface SubscriptionFormValues {
  name: string;
  url: string;
  eventTypes: string[];
  enabled: boolean;
  ordering: string;
  headers: string;
  description: string;
}

export function valuesOf(s: SubscriptionResponse): SubscriptionFormValues {
  return {
    name: s.name,
    url: s.url,
    eventTypes: s.event_types,
    enabled: s.enabled,
    ordering: s.ordering,
    headers: Object.entries(s.headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n'),
    description: s.description ?? '',
  };
}

export function valuesFrom(form: FormFields): SubscriptionFormValues {
  return {
    name: form.get('name') ?? '',
    url: form.get('url') ?? '',
    eventTypes: form.all('event_types'),
    enabled: form.get('enabled') === 'on',
    ordering: form.get('ordering') ?? 'none',
    headers: form.raw('headers') ?? '',
    description: form.get('description') ?? '',
  };
}

/**
 * `Name: value` lines as the headers object of the API; a line without a colon is an error
 * naming it. Blank lines are skipped. The API's own rules (reserved names, lengths) apply after.
 */
export function parseHeaderLines(text: string): { headers: Record<string, string>; errors: string[] } {
  const headers: Record<string, string> = {};
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const colon = line.indexOf(':');
    if (colon <= 0) errors.push(`headers line ${i + 1} must be "Name: value"`);
    else headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  });
  return { headers, errors };
}

function plainOf(values: SubscriptionFormValues): { plain: Record<string, unknown>; errors: FieldError[] } {
  const { headers, errors } = parseHeaderLines(values.headers);
  return {
    plain: {
      name: values.name,
      url: values.url,
      event_types: values.eventTypes.includes(ALL_EVENTS) ? [ALL_EVENTS] : values.eventTypes,
      enabled: values.enabled,
      ordering: values.ordering,
      headers,
      description: values.description === '' ? null : values.description,
    },
    errors: errors.length ? [{ field: 'headers', errors }] : [],
  };
}

/** The create form as the API's CreateSubscriptionDto, checked by its rules; an empty secret field means "generate one". */
export function createDtoOf(values: SubscriptionFormValues, secret: string | undefined) {
  const { plain, errors } = plainOf(values);
  if (secret) plain.secret = secret;
  const checked = validateDto(CreateSubscriptionDto, plain);
  return { dto: checked.value, errors: [...errors, ...checked.errors] };
}

/** The edit form as the API's UpdateSubscriptionDto (every field given). */
export function updateDtoOf(values: SubscriptionFormValues) {
  const { plain, errors } = plainOf(values);
  const checked = validateDto(UpdateSubscriptionDto, plain);
  return { dto: checked.value, errors: [...errors, ...checked.errors] };
}

/** The form's view model. */
export function subscriptionFormView(input: {
  values: SubscriptionFormValues;
  action: string;
  heading: string;
  submit: string;
  creating: boolean;
  errors: FieldError[];
  csrf: string;
}) {
  const { values } = input;
  return {
    ...input,
    allEvents: values.eventTypes.includes(ALL_EVENTS),
    events: EVENT_TYPES.map((type) => ({ value: type, checked: values.eventTypes.includes(type) })),
    orderings: ORDERINGS.map((o) => ({
      value: o,
      label: o === 'none' ? 'none: any order, in parallel' : 'per_entity: one entity’s events one after another',
      selected: o === values.ordering,
    })),
  };
}

/** Errors the form shows beside itself (a taken name, a secret the scheme refuses, a read-only subscription). */
export function isFormError(error: unknown): error is AppError {
  return error instanceof AppError && (error.status === 400 || error.status === 409);
}

export function fieldErrorsOf(error: AppError): FieldError[] {
  const fields = (error as { fields?: FieldError[] }).fields;
  return fields ?? [{ field: 'subscription', errors: [error.message] }];
}
