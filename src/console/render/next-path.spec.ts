import { nextPath } from './next-path';

describe('nextPath', () => {
  it.each(['/console', '/console/deliveries', '/console/deliveries?status=failed&event=lead_scraped', '/console/deliveries/3f1c2a9e'])(
    'keeps the console path %s',
    (path) => expect(nextPath(path)).toBe(path),
  );

  it.each([
    ['another site', 'https://evil.example/console'],
    ['a protocol-relative URL', '//evil.example/console'],
    ['a backslash', '/console\\evil'],
    ['a path outside the console', '/api/v1/leads'],
    ['a look-alike prefix', '/consoleevil'],
    ['a control character', '/console/\r\nSet-Cookie:x'],
    ['no value', undefined],
    ['an array', ['/console/a', '/console/b']],
  ])('falls back to /console for %s', (_label, value) => expect(nextPath(value)).toBe('/console'));
});
