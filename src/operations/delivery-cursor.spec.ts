import { decodeCursor, encodeCursor } from './delivery-cursor';

describe('delivery cursor', () => {
  const position = { createdAt: '2026-11-29 10:00:00.123456+00', id: '0b7e9a52-8f64-4a1e-b0c3-5e2d7f1a9c84' };

  it('round-trips a keyset position, microseconds included, as URL-safe text', () => {
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
  });

  it.each([
    ['not base64url', 'abc$%'],
    ['not JSON', Buffer.from('hello').toString('base64url')],
    ['an object', Buffer.from(JSON.stringify({ a: 1 })).toString('base64url')],
    ['a bad id', Buffer.from(JSON.stringify([position.createdAt, 'x'])).toString('base64url')],
    ['a bad time', Buffer.from(JSON.stringify(['yesterday', position.id])).toString('base64url')],
    ['an impossible date', Buffer.from(JSON.stringify(['2026-02-30 10:00:00+00', position.id])).toString('base64url')],
    ['a week date', Buffer.from(JSON.stringify(['2026-W01-1', position.id])).toString('base64url')],
    ['an offset beyond ±14:00', Buffer.from(JSON.stringify(['2026-01-01 00:00:00-23:59', position.id])).toString('base64url')],
    ['an SQL fragment as time', Buffer.from(JSON.stringify(["2026-01-01'; DROP TABLE x; --", position.id])).toString('base64url')],
    ['empty', ''],
  ])('refuses %s', (_label, value) => {
    expect(decodeCursor(value)).toBeUndefined();
  });
});
