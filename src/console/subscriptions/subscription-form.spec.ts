import { createDtoOf, parseHeaderLines, SubscriptionFormValues, updateDtoOf } from './subscription-form';

const values = (over: Partial<SubscriptionFormValues> = {}): SubscriptionFormValues => ({
  name: 'CRM',
  url: 'https://crm.example/hooks/{event}',
  eventTypes: ['lead_scraped'],
  enabled: true,
  ordering: 'none',
  headers: '',
  description: '',
  ...over,
});

describe('subscription form', () => {
  it('reads "Name: value" lines, skipping blank ones, and names a line without a colon', () => {
    expect(parseHeaderLines('X-Api-Key: abc:def\r\n\n  X-Team :  leads ')).toEqual({
      headers: { 'X-Api-Key': 'abc:def', 'X-Team': 'leads' },
      errors: [],
    });
    expect(parseHeaderLines('X-Ok: 1\nbroken').errors).toEqual(['headers line 2 must be "Name: value"']);
  });

  it('builds the API’s create DTO; "All events" wins over single types; an empty description is null', () => {
    const { dto, errors } = createDtoOf(values({ eventTypes: ['*', 'lead_scraped'], headers: 'X-Api-Key: k' }), undefined);
    expect(errors).toEqual([]);
    expect(dto).toMatchObject({ name: 'CRM', event_types: ['*'], headers: { 'X-Api-Key': 'k' }, description: null, enabled: true });
    expect(dto.secret).toBeUndefined();
  });

  it('applies the API’s own rules: a reserved header, credentials in the URL, no event type', () => {
    const { errors } = createDtoOf(
      values({ url: 'https://u:p@crm.example/x', eventTypes: [], headers: 'Authorization: Bearer x' }),
      undefined,
    );
    expect(errors.map((e) => e.field).sort()).toEqual(['event_types', 'headers', 'url']);
  });

  it('gives every field to PATCH, and never a secret', () => {
    const { dto, errors } = updateDtoOf(values({ enabled: false, ordering: 'per_entity' }));
    expect(errors).toEqual([]);
    expect(dto).toMatchObject({ enabled: false, ordering: 'per_entity' });
    expect(dto.secret).toBeUndefined();
  });
});
