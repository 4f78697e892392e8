import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { isURL, IsString, Length, ValidateBy } from 'class-validator';
import { OptionalNotNull } from '../../../domain/common/dto/field-rules';
import { EVENT_TYPES } from '../../../events/event-catalog';

/**
 * The rules of a subscription's fields, shared by create and PATCH. Each check lists every
 * problem of its field in the 400 (`details[].errors`) and never quotes a secret.
 */

export const MAX_NAME_LENGTH = 100;
export const MAX_DESCRIPTION_LENGTH = 1000;
export const MAX_URL_LENGTH = 2048;
export const MAX_HEADERS = 20;
export const MAX_HEADER_NAME_LENGTH = 100;
export const MAX_HEADER_VALUE_LENGTH = 1000;
export const ALL_EVENTS = '*';

/** Headers the bridge sets on every request (signature, ids, content), and hop-by-hop headers the HTTP client owns. */
export const RESERVED_HEADERS = [
  'x-webhook-signature-256',
  'webhook-signature',
  'x-webhook-timestamp',
  'webhook-timestamp',
  'x-webhook-id',
  'webhook-id',
  'x-webhook-event',
  'x-webhook-attempt',
  'content-type',
  'user-agent',
  'authorization',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
] as const;

const RESERVED = new Set<string>(RESERVED_HEADERS);
/** RFC 9110 token characters. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What the HTTP client accepts in a header value: tab, visible ASCII and space, Latin-1; no CR, LF, NUL or other controls. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** At least one visible character, no control characters. */
const NAME = /^(?=.*\S)\P{Cc}*$/u;
const nameProblems = (value: unknown): string[] =>
  typeof value === 'string' && !NAME.test(value) ? ['must have a visible character and no control characters'] : [];

/** A text quoted in an error message, bounded. */
const quote = (value: string) => JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);

/** A custom rule: valid when `problems` finds none; the message lists them all, each after the field name. */
function rule(name: string, problems: (value: unknown) => string[]): PropertyDecorator {
  return ValidateBy({
    name,
    validator: {
      validate: (value: unknown) => problems(value).length === 0,
      defaultMessage: (args) =>
        problems(args?.value)
          .map((p) => `${args?.property ?? 'value'} ${p}`)
          .join('; '),
    },
  });
}

/** Problems of a URL template: an http(s) URL, where `{event}` (the event type with dashes) may appear anywhere. */
export function urlProblems(value: unknown): string[] {
  if (typeof value !== 'string') return ['must be a string'];
  if (value.length > MAX_URL_LENGTH) return [`must be at most ${MAX_URL_LENGTH} characters`];
  const concrete = value.replaceAll('{event}', 'event');
  if (/[{}]/.test(concrete)) return ['may contain the placeholder {event} and no other braces'];
  if (!isURL(concrete, { protocols: ['http', 'https'], require_protocol: true, require_tld: false, allow_underscores: true }))
    return ['must be an http(s) URL (it may contain {event})'];
  const parsed = URL.canParse(concrete) ? new URL(concrete) : undefined;
  if (!parsed) return ['must be an http(s) URL (it may contain {event})'];
  if (parsed.username || parsed.password)
    return ['must not contain credentials (user:password@): they would show in every delivery and log; send them as a header'];
  return [];
}

/** Problems of `event_types`: `["*"]`, or known event types, each once. */
export function eventTypesProblems(value: unknown): string[] {
  if (!Array.isArray(value)) return ['must be an array of event types, or ["*"] for all'];
  if (value.length === 0) return ['must not be empty (use ["*"] for every event type)'];
  const items = value as unknown[];
  if (items.some((v) => typeof v !== 'string')) return ['must hold strings only'];
  const types = items as string[];
  const problems: string[] = [];
  const known = new Set<string>([...EVENT_TYPES, ALL_EVENTS]);
  const unknown = [...new Set(types.filter((t) => !known.has(t)))];
  if (unknown.length) problems.push(`has unknown event types: ${unknown.map(quote).join(', ')} (known: ${EVENT_TYPES.join(', ')})`);
  const repeated = [...new Set(types.filter((t, i) => types.indexOf(t) !== i))];
  if (repeated.length) problems.push(`repeats ${repeated.map(quote).join(', ')}`);
  if (types.includes(ALL_EVENTS) && types.length > 1 && !repeated.includes(ALL_EVENTS))
    problems.push('cannot combine "*" (every event type) with other event types');
  return problems;
}

/** Problems of `headers`: at most 20 extra request headers, valid names and values, none the bridge sets itself. */
export function headersProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['must be an object of header names to values'];
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_HEADERS) return [`may hold at most ${MAX_HEADERS} headers`];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [name, headerValue] of entries) {
    const lower = name.toLowerCase();
    if (name.length > MAX_HEADER_NAME_LENGTH || !HEADER_NAME.test(name)) problems.push(`has an invalid header name ${quote(name)}`);
    else if (RESERVED.has(lower)) problems.push(`cannot set ${quote(name)}: the bridge sets it itself`);
    else if (seen.has(lower)) problems.push(`gives ${quote(name)} twice (header names are case-insensitive)`);
    seen.add(lower);
    if (typeof headerValue !== 'string') problems.push(`must give ${quote(name)} a string value`);
    else if (headerValue.length > MAX_HEADER_VALUE_LENGTH)
      problems.push(`has a value of ${quote(name)} longer than ${MAX_HEADER_VALUE_LENGTH} characters`);
    else if (!HEADER_VALUE.test(headerValue))
      problems.push(`has a value of ${quote(name)} with a character not allowed in a header (CR, LF, NUL or another control character)`);
  }
  return problems;
}

const prop = (required: boolean) => (required ? ApiProperty : ApiPropertyOptional);
/** A field PATCH may leave out but not set to null. */
const presence = (required: boolean): PropertyDecorator[] => (required ? [] : [OptionalNotNull()]);

export const NameField = (required: boolean): PropertyDecorator =>
  applyDecorators(
    prop(required)({ minLength: 1, maxLength: MAX_NAME_LENGTH, description: 'Unique among the subscriptions; shown in metrics and logs' }),
    ...presence(required),
    IsString(),
    Length(1, MAX_NAME_LENGTH),
    rule('isDisplayName', nameProblems),
  );

export const UrlTemplateField = (required: boolean): PropertyDecorator =>
  applyDecorators(
    prop(required)({
      format: 'uri',
      maxLength: MAX_URL_LENGTH,
      example: 'https://hooks.example.com/bridge/{event}',
      description: 'http(s) URL; `{event}` is replaced by the event type with dashes (lead_scraped → lead-scraped)',
    }),
    ...presence(required),
    rule('isUrlTemplate', urlProblems),
  );

export const EventTypesField = (required: boolean): PropertyDecorator =>
  applyDecorators(
    prop(required)({
      type: [String],
      enum: [ALL_EVENTS, ...EVENT_TYPES],
      example: ['lead_scraped', 'lead_qualified'],
      description: '`["*"]` for every event type, or a non-empty list of event types without repeats',
    }),
    ...presence(required),
    rule('isEventTypeList', eventTypesProblems),
  );

export const HeadersField = (): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({
      type: 'object',
      additionalProperties: { type: 'string' },
      maxProperties: MAX_HEADERS,
      example: { 'X-Api-Key': 'key-for-the-receiver' },
      description: `Extra request headers (at most ${MAX_HEADERS}); refused: ${RESERVED_HEADERS.join(', ')}`,
    }),
    OptionalNotNull(),
    rule('isHeaderMap', headersProblems),
  );
