import { InvalidJsonError } from '../errors/app-errors';
import { MAX_JSON_DEPTH, parseJsonBody } from './strict-json';

const parse = (text: string | Buffer) => parseJsonBody(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'));

function refusal(text: string | Buffer): InvalidJsonError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof InvalidJsonError) return error;
    throw error;
  }
  throw new Error('accepted');
}

const nested = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

describe('parseJsonBody', () => {
  it('parses objects and arrays, unicode and escapes included; an empty body is no body', () => {
    expect(parse('{"name":"Zoë 🚀 \\u00e9 \\ud83d\\ude80","n":[1,2.5,null,true]}')).toEqual({
      name: 'Zoë 🚀 é 🚀',
      n: [1, 2.5, null, true],
    });
    expect(parse(' [ {} ] ')).toEqual([{}]);
    expect(parse('')).toBeUndefined();
  });

  it('refuses a NUL character in a value or a key, naming where', () => {
    expect(refusal('{"step":"a\\u0000b"}')).toMatchObject({ problem: 'nul_character', path: '$.step' });
    expect(refusal('{"result":{"items":[1,"x\\u0000"]}}')).toMatchObject({ problem: 'nul_character', path: '$.result.items[1]' });
    const key = refusal('{"ok":1,"bad\\u0000key":1}');
    expect(key).toMatchObject({ problem: 'nul_character', path: '$["bad\\u0000key"]' });
    expect(key.message).toBe('Request body contains a NUL character (\\u0000) in the key at $["bad\\u0000key"]');
    // The message itself never carries a NUL (it goes to logs and audit rows).
    expect(key.message).not.toContain('\u0000');
  });

  it('refuses unpaired surrogates (high or low), accepts pairs', () => {
    expect(refusal('{"result":{"x":"\\ud800"}}')).toMatchObject({ problem: 'lone_surrogate', path: '$.result.x' });
    expect(refusal('{"a":"\\udc00 trailing"}')).toMatchObject({ problem: 'lone_surrogate', path: '$.a' });
    expect(refusal('{"\\ud800":1}')).toMatchObject({ problem: 'lone_surrogate' });
    expect(parse('{"a":"\\ud83d\\ude80"}')).toEqual({ a: '🚀' });
  });

  it(`accepts ${MAX_JSON_DEPTH} levels of nesting, refuses one more and 10,000 (without recursion)`, () => {
    expect(() => parse(nested(MAX_JSON_DEPTH))).not.toThrow();
    expect(refusal(nested(MAX_JSON_DEPTH + 1))).toMatchObject({ problem: 'too_deep' });
    expect(refusal(`${'['.repeat(10_000)}${']'.repeat(10_000)}`)).toMatchObject({ problem: 'too_deep' });
  });

  it('refuses invalid JSON without quoting it, invalid UTF-8, and a top-level primitive', () => {
    const syntax = refusal('{"secret-looking": oops');
    expect(syntax).toMatchObject({ problem: 'syntax', message: 'Request body is not valid JSON' });
    expect(JSON.stringify(syntax.details)).not.toContain('oops');
    expect(refusal(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]))).toMatchObject({ problem: 'encoding' });
    expect(refusal('"just a string"')).toMatchObject({ problem: 'not_object' });
    expect(refusal('   ')).toMatchObject({ problem: 'syntax' });
  });
});
