import 'reflect-metadata';
import { validateSync } from 'class-validator';
import { IsRealTimestamp } from './is-real-timestamp.decorator';
import { isRealTimestamp } from './real-timestamp';

describe('isRealTimestamp', () => {
  it.each([
    '2026-11-29',
    '2026-11-29T10:00:00Z',
    '2026-11-29T10:00Z',
    '2026-11-29t10:00:00z',
    '2026-11-29 10:00:00.123456+00',
    '2026-11-29T10:00:00.123456789+14:00',
    '2026-11-29T10:00:00-14',
    '2026-11-29T10:00:00+0530',
    '2026-11-29T10:00:00-09:30',
    '2026-11-29T23:59:59',
    '2024-02-29T00:00:00Z',
    '2000-02-29',
    '0001-01-01T00:00:00Z',
  ])('accepts %s', (value) => {
    expect(isRealTimestamp(value)).toBe(true);
  });

  it.each([
    ['a week date', '2026-W01-1'],
    ['an ordinal date', '2026-001'],
    ['a year alone', '2026'],
    ['a month alone', '2026-01'],
    ['an offset beyond -14:00', '2026-01-01T00:00:00-23:59'],
    ['an offset of +14:30', '2026-01-01T00:00:00+14:30'],
    ['offset minutes of 60', '2026-01-01T00:00:00+05:60'],
    ['February 30th', '2026-02-30'],
    ['February 29th of a common year', '2026-02-29T00:00:00Z'],
    ['February 29th of 1900', '1900-02-29'],
    ['April 31st', '2026-04-31'],
    ['month 13', '2026-13-01'],
    ['day 0', '2026-01-00'],
    ['year 0000', '0000-01-01'],
    ['24:00', '2026-01-01T24:00'],
    ['minute 60', '2026-01-01T10:60:00Z'],
    ['a leap second', '2026-12-31T23:59:60Z'],
    ['a comma fraction', '2026-01-01T10:00:00,5Z'],
    ['a signed year', '+2026-01-01'],
    ['a five-digit year', '20260-01-01'],
    ['hours without minutes', '2026-01-01T10Z'],
    ['trailing text', '2026-01-01T10:00:00Z; DROP TABLE x'],
    ['a word', 'yesterday'],
    ['empty', ''],
    ['a number', 1767225600000],
    ['something very long', `2026-01-01T00:00:00.${'1'.repeat(100)}Z`],
  ])('refuses %s', (_label, value) => {
    expect(isRealTimestamp(value)).toBe(false);
  });
});

describe('@IsRealTimestamp()', () => {
  class Filter {
    @IsRealTimestamp()
    since: unknown;
  }

  const errorsFor = (since: unknown) => validateSync(Object.assign(new Filter(), { since }));

  it('passes a real timestamp and names the field of an impossible one', () => {
    expect(errorsFor('2026-11-29T10:00:00Z')).toEqual([]);
    const [error] = errorsFor('2026-02-30');
    expect(error!.property).toBe('since');
    expect(error!.constraints).toEqual({ isRealTimestamp: expect.stringMatching(/^since must be a real date or date-time/) });
  });
});
