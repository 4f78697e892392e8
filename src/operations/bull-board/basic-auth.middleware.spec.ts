import type { Request, Response } from 'express';
import { basicAuth, parseBasic } from './basic-auth.middleware';

function call(header?: string) {
  const sut = basicAuth('ops', 'p@ss:word');
  const res = { headers: {} as Record<string, string>, statusCode: 0, body: undefined as unknown };
  const response = {
    setHeader: (k: string, v: string) => (res.headers[k] = v),
    status(code: number) {
      res.statusCode = code;
      return this;
    },
    json(body: unknown) {
      res.body = body;
      return this;
    },
  } as unknown as Response;
  const next = jest.fn();
  sut({ headers: header === undefined ? {} : { authorization: header } } as Request, response, next);
  return { next, res };
}

const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('basicAuth', () => {
  it('lets the right user and password through (a colon in the password included)', () => {
    const { next, res } = call(basic('ops:p@ss:word'));
    expect(next).toHaveBeenCalledTimes(1);
    expect(res.statusCode).toBe(0);
  });

  it.each([
    ['no header', undefined],
    ['a wrong password', basic('ops:nope')],
    ['a wrong user', basic('root:p@ss:word')],
    ['a bearer token', 'Bearer p@ss:word'],
    ['no colon', basic('opsp@ssword')],
  ])('answers 401 with a Basic challenge for %s', (_label, header) => {
    const { next, res } = call(header);
    expect(next).not.toHaveBeenCalled();
    expect(res.statusCode).toBe(401);
    expect(res.headers['WWW-Authenticate']).toMatch(/^Basic realm="bull-board"/);
  });

  it('parses only well-formed Basic headers', () => {
    expect(parseBasic(basic('a:b'))).toEqual({ user: 'a', password: 'b' });
    expect(parseBasic('Basic !!!')).toBeUndefined();
    expect(parseBasic(undefined)).toBeUndefined();
  });
});
