/**
 * The one definition of a timestamp the admin API accepts (query filters, replay filters, keyset
 * cursors). A strict subset of ISO 8601 / RFC 3339 that Postgres' `::timestamptz` always parses
 * the same way, so a bad value is a 400 here instead of a database error (a 500) later:
 *
 *   YYYY-MM-DD                              a real calendar date (no 2026-02-30, no year 0000)
 *   YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]]    00:00–23:59:59, fraction of 1–9 digits
 *   … followed by Z, ±HH, ±HHMM or ±HH:MM   an offset within ±14:00 (minutes below 60)
 *
 * Not accepted: week dates (2026-W01-1), ordinal dates (2026-001), a year or month alone,
 * 24:00, leap seconds, comma fractions, signed or 5-digit years. A date-time without an offset
 * is read by Postgres in its session time zone.
 */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?([Zz]|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

/** The widest offset in use anywhere (Line Islands, UTC+14:00). */
const MAX_OFFSET_MINUTES = 14 * 60;
const MAX_TIMESTAMP_LENGTH = 64;

export function isRealTimestamp(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > MAX_TIMESTAMP_LENGTH) return false;
  const m = TIMESTAMP.exec(value);
  if (!m) return false;
  const [, year, month, day, hour, minute, second, , , offsetHours, offsetMinutes] = m;
  if (!isCalendarDate(Number(year), Number(month), Number(day))) return false;
  if (hour !== undefined && (Number(hour) > 23 || Number(minute) > 59 || (second !== undefined && Number(second) > 59))) return false;
  if (offsetHours !== undefined) {
    const minutes = Number(offsetMinutes ?? 0);
    if (minutes > 59 || Number(offsetHours) * 60 + minutes > MAX_OFFSET_MINUTES) return false;
  }
  return true;
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
