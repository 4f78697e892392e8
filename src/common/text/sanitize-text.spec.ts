import { decodeText, REPLACEMENT_CHAR, sanitizeJson, sanitizeNullableText, sanitizeText } from './sanitize-text';

const R = REPLACEMENT_CHAR;
/** Every surrogate paired: UTF-8 round-trips it unchanged (an unpaired one comes back as U+FFFD). */
const isWellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8') === s;

describe('sanitizeText', () => {
  it('replaces NUL and unpaired surrogates, keeps pairs and everything else', () => {
    expect(sanitizeText('a\u0000b')).toBe(`a${R}b`);
    expect(sanitizeText('x\uD800y\uDC00z')).toBe(`x${R}y${R}z`);
    expect(sanitizeText('end\uD83D')).toBe(`end${R}`);
    expect(sanitizeText('\uDE00start')).toBe(`${R}start`);
    expect(sanitizeText('ok 😀 é \u0001\t\n')).toBe('ok 😀 é \u0001\t\n');
  });

  it('leaves text within the bound alone and cuts longer text with a marker', () => {
    expect(sanitizeText('abcdef', 6)).toBe('abcdef');
    expect(sanitizeText('abcdefgh', 5)).toBe('abcde…[truncated 3 chars]');
    expect(sanitizeText('abc', 0)).toBe('…[truncated 3 chars]');
  });

  it('never cuts between the two halves of a surrogate pair', () => {
    const cut = sanitizeText('ab😀cd', 3);
    expect(cut).toBe('ab…[truncated 4 chars]');
    expect(isWellFormed(cut)).toBe(true);
    expect(sanitizeText('ab😀cd', 4)).toBe('ab😀…[truncated 2 chars]');
  });

  it('makes what Postgres would refuse storable in text and jsonb', () => {
    const hostile = 'a\u0000\uD800\uDFFF\uDFFF\uD800😀';
    const clean = sanitizeText(hostile);
    expect(clean).not.toContain('\u0000');
    expect(isWellFormed(clean)).toBe(true);
    expect(JSON.stringify(clean)).not.toMatch(/\\u0000|\\ud[89a-f]/i);
    expect(clean).toHaveLength(hostile.length);
  });
});

describe('sanitizeNullableText', () => {
  it('maps undefined and null to null', () => {
    expect(sanitizeNullableText(undefined)).toBeNull();
    expect(sanitizeNullableText(null)).toBeNull();
    expect(sanitizeNullableText('a\u0000', 10)).toBe(`a${R}`);
  });
});

describe('decodeText', () => {
  it('decodes invalid UTF-8 with replacement characters and removes NUL', () => {
    const bytes = Buffer.from([0x61, 0x62, 0x00, 0x63, 0x64, 0xff, 0xfe, 0x00, 0x78, 0x79, 0x7a]);
    expect(decodeText(bytes)).toBe(`ab${R}cd${R}${R}${R}xyz`);
  });

  it('replaces a character cut at the end of an excerpt', () => {
    const euro = Buffer.from('x€', 'utf8'); // € is 3 bytes
    expect(decodeText(euro.subarray(0, 3))).toBe(`x${R}`);
  });

  it('reads a view into a larger buffer without its neighbours', () => {
    const whole = Buffer.from('hello world');
    expect(decodeText(new Uint8Array(whole.buffer, whole.byteOffset + 6, 5))).toBe('world');
  });

  it('bounds the result', () => {
    expect(decodeText(Buffer.from('abcdef'), 2)).toBe('ab…[truncated 4 chars]');
  });
});

describe('sanitizeJson', () => {
  it('cleans keys and strings at any depth, bounds strings, copies instead of changing', () => {
    const input = { 'k\u0000': 'v\u0000', nested: [{ deep: '\uD800' }, 1, true, null], long: 'x'.repeat(20) };
    const out = sanitizeJson(input, 10);
    expect(out).toEqual({ [`k${R}`]: `v${R}`, nested: [{ deep: R }, 1, true, null], long: 'xxxxxxxxxx…[truncated 10 chars]' });
    expect(input['k\u0000']).toBe('v\u0000');
    expect(JSON.stringify(out)).not.toMatch(/\\u0000|\\ud[89a-f]/i);
  });

  it('handles objects without a prototype (Node request headers)', () => {
    const headers = Object.assign(Object.create(null) as Record<string, string>, { 'x-a': 'b\u0000' });
    expect(sanitizeJson(headers)).toEqual({ 'x-a': `b${R}` });
  });
});
