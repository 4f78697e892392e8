import { CONSOLE_PAGE_SIZE, filterQuery, parseDeliveryFilter } from './delivery-filter';

describe('parseDeliveryFilter', () => {
  it('ignores empty fields and reads datetime-local values as UTC', () => {
    const { query, errors, form } = parseDeliveryFilter({
      status: 'failed',
      event: '',
      entity_id: ' lead-7 ',
      since: '2026-12-01T18:00',
      other: 'x',
    });
    expect(errors).toEqual([]);
    expect(query).toMatchObject({ status: 'failed', entity_id: 'lead-7', since: '2026-12-01T18:00Z', limit: CONSOLE_PAGE_SIZE });
    expect(query.event).toBeUndefined();
    expect(filterQuery(form)).toBe('?status=failed&entity_id=lead-7&since=2026-12-01T18%3A00');
  });

  it('checks the values with the JSON API’s rules (ListDeliveriesQuery)', () => {
    const { errors } = parseDeliveryFilter({ status: 'lost', subscription_id: 'not-a-uuid', until: '2026-02-30' });
    expect(errors.map((e) => e.field).sort()).toEqual(['status', 'subscription_id', 'until']);
  });

  it('takes the first of repeated parameters', () => {
    expect(parseDeliveryFilter({ status: ['sent', 'failed'] }).query.status).toBe('sent');
  });
});
