/** Formatting shared by the presenters: times in UTC, durations, bounded excerpts. */

export interface TimeView {
  iso: string;
  text: string;
}

const NO_TIME: TimeView = { iso: '', text: '—' };

/** `2026-12-01 18:21:05` (UTC) with its ISO form for `<time datetime>`; a dash (and no ISO form) for no time. */
export function timeView(value: Date | string | null | undefined): TimeView {
  if (value === null || value === undefined) return NO_TIME;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return NO_TIME;
  const iso = date.toISOString();
  return { iso, text: `${iso.slice(0, 10)} ${iso.slice(11, 19)}` };
}

/** `850 ms`, `4.2 s`, `3 min 5 s`. */
export function durationText(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}

/** The first `max` characters, with how many were left out. */
export function excerpt(text: string | null | undefined, max: number): string | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  return text.length > max ? `${text.slice(0, max)}… [+${text.length - max} characters]` : text;
}

/** JSON text indented for reading; anything else as it is. */
export function readableBody(text: string | null | undefined, max = 4000): string | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  try {
    return excerpt(JSON.stringify(JSON.parse(text), null, 2), max);
  } catch {
    return excerpt(text, max);
  }
}

/** An object shown as indented JSON. */
export function jsonText(value: unknown, max = 4000): string {
  return excerpt(JSON.stringify(value, null, 2), max) ?? '';
}

/** Header name/value pairs, sorted by name (values as stored: signatures and credentials already redacted). */
export function headerList(headers: Record<string, string> | null | undefined): { name: string; value: string }[] {
  return Object.entries(headers ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => {
      // jsonb as stored: a value that is not text (never written so, but possible) is shown as JSON.
      const stored: unknown = value;
      return { name, value: typeof stored === 'string' ? stored : JSON.stringify(stored) };
    });
}
