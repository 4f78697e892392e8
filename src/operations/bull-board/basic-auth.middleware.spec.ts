import type { Request, Response } from 'express';
import type { AuthFailureCounter, AuthVerdict } from '../../common/guards/auth-failure-limiter.service';
import { basicAuth, parseBasic } from './basic-auth.middleware';

/** Records what the middleware told the limiter, and answers `verdict`. */
function fakeLimiter(verdict: AuthVerdict = { blocked: false, retryAfterSeconds: 0 }) {
  const calls: { ip: string | undefined; failed: boolean }[] = [];
  const limiter: AuthFailureCounter = {
    check: (ip, failed) => {
      calls.push({ ip, failed });
      return Promise.resolve(verdict);
    },
  };
  return { limiter, calls };
}

async function call(header?: string, limiter = fakeLimiter()) {
  const sut = basicAuth('ops', 'p@ss:word', limiter.limiter);
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
  await sut({ ip: '203.0.113.7', headers: header === undefined ? {} : { authorization: header } } as unknown as Request, response, next);
  return { next, res, calls: limiter.calls };
}

const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('basicAuth', () => {
  it('lets the right user and password through (a colon in the password included), counting no failure', async () => {
    const { next, res, calls } = await call(basic('ops:p@ss:word'));
    expect(next).toHaveBeenCalledTimes(1);
    expect(res.statusCode).toBe(0);
    expect(calls).toEqual([{ ip: '203.0.113.7', failed: false }]);
  });

  it.each([
    ['a wrong password', basic('ops:nope')],
    ['a wrong user', basic('root:p@ss:word')],
  ])('answers 401 with a Basic challenge for %s, and counts a failure for the address', async (_label, header) => {
    const { next, res, calls } = await call(header);
    expect(next).not.toHaveBeenCalled();
    expect(res.statusCode).toBe(401);
    expect(res.headers['WWW-Authenticate']).toMatch(/^Basic realm="bull-board"/);
    expect(calls).toEqual([{ ip: '203.0.113.7', failed: true }]);
  });

  it.each([
    ['no header', undefined],
    ['a bearer token', 'Bearer p@ss:word'],
    ['no colon', basic('opsp@ssword')],
  ])('answers 401 with a Basic challenge for %s, without counting it (no credentials to guess with)', async (_label, header) => {
    const { next, res, calls } = await call(header);
    expect(next).not.toHaveBeenCalled();
    expect(res.statusCode).toBe(401);
    expect(res.headers['WWW-Authenticate']).toMatch(/^Basic realm="bull-board"/);
    expect(calls).toEqual([{ ip: '203.0.113.7', failed: false }]);
  });

  it.each([
    ['the right credentials', basic('ops:p@ss:word')],
    ['wrong ones', basic('ops:nope')],
  ])('answers 429 too_many_requests with Retry-After once the address is blocked, for %s', async (_label, header) => {
    const { next, res } = await call(header, fakeLimiter({ blocked: true, retryAfterSeconds: 42 }));
    expect(next).not.toHaveBeenCalled();
    expect(res.statusCode).toBe(429);
    expect(res.headers['Retry-After']).toBe('42');
    expect(res.headers['WWW-Authenticate']).toBeUndefined();
    expect(res.body).toEqual({ statusCode: 429, error: 'too_many_requests', message: expect.stringContaining('retry in 42 s') });
  });

  it('parses only well-formed Basic headers', () => {
    expect(parseBasic(basic('a:b'))).toEqual({ user: 'a', password: 'b' });
    expect(parseBasic('Basic !!!')).toBeUndefined();
    expect(parseBasic(undefined)).toBeUndefined();
  });
});
