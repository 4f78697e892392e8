import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { AddressInfo, createServer, Socket } from 'node:net';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { deleteRedisPrefix, TEST_REDIS_URL } from '../../../test/support/test-app';
import { AppConfig } from '../../config/app-config';
import { closeRedisClient, createRedisClient } from '../../redis/redis.module';
import { AuthFailureLimiter } from './auth-failure-limiter.service';

// Real Redis: the counting happens in a Lua script, so that is what is exercised.
describe('AuthFailureLimiter', () => {
  const prefix = `test-authfail-${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  const config = (limit: number) => ({ admin: { authFailuresPerMinute: limit }, redis: { queuePrefix: prefix } }) as AppConfig;

  /** The shared client queues nothing while connecting (a command then fails, and the limiter steps aside). */
  const connected = async (client: Redis) => {
    if (client.status !== 'ready') await once(client, 'ready');
    return client;
  };

  beforeAll(async () => {
    Logger.overrideLogger(false); // the fail-open cases below warn on purpose
    redis = await connected(createRedisClient(TEST_REDIS_URL));
  });
  afterAll(async () => {
    await closeRedisClient(redis);
    await deleteRedisPrefix(prefix);
  });

  it('answers the first N failures, then refuses the address (right credentials too) until the window ends; others are unaffected', async () => {
    const sut = new AuthFailureLimiter(redis, config(3));
    const ip = '198.51.100.1';
    for (let i = 0; i < 3; i++) expect(await sut.check(ip, true)).toEqual({ blocked: false, retryAfterSeconds: 0 });
    const fourth = await sut.check(ip, true);
    expect(fourth.blocked).toBe(true);
    expect(fourth.retryAfterSeconds).toBeGreaterThanOrEqual(59);
    expect(fourth.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect((await sut.check(ip, false)).blocked).toBe(true);
    expect(await sut.check('198.51.100.2', false)).toEqual({ blocked: false, retryAfterSeconds: 0 });
    expect((await sut.check('198.51.100.2', true)).blocked).toBe(false);

    // The window ends: the address may try again.
    await redis.pexpire(`${prefix}:admin-auth-failures:${ip}`, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await sut.check(ip, false)).blocked).toBe(false);
  });

  it('counts attempts without credentials as nothing, and shares one budget across processes (two limiters, one Redis)', async () => {
    const a = new AuthFailureLimiter(redis, config(4));
    const b = new AuthFailureLimiter(redis, config(4));
    const ip = '198.51.100.3';
    for (let i = 0; i < 10; i++) expect((await a.check(ip, false)).blocked).toBe(false);
    await a.check(ip, true);
    await b.check(ip, true);
    await a.check(ip, true);
    expect((await b.check(ip, true)).blocked).toBe(false);
    expect((await a.check(ip, false)).blocked).toBe(true);
  });

  it('lets exactly N of a burst of concurrent failures through to a 401 (the check and the count are one step)', async () => {
    const sut = new AuthFailureLimiter(redis, config(5));
    const verdicts = await Promise.all(Array.from({ length: 100 }, () => sut.check('198.51.100.4', true)));
    expect(verdicts.filter((v) => !v.blocked)).toHaveLength(5);
  });

  it('counts an IPv6 /64 as one address', async () => {
    const sut = new AuthFailureLimiter(redis, config(2));
    await sut.check('2001:db8:7:7::1', true);
    await sut.check('2001:db8:7:7::2', true);
    expect((await sut.check('2001:db8:7:7::3', false)).blocked).toBe(true);
    expect((await sut.check('2001:db8:7:8::1', false)).blocked).toBe(false);
  });

  it('with a limit of 0 never refuses and never asks Redis', async () => {
    const unreachable = { defineCommand: jest.fn() } as unknown as Redis;
    const sut = new AuthFailureLimiter(unreachable, config(0));
    for (let i = 0; i < 20; i++) expect((await sut.check('198.51.100.5', true)).blocked).toBe(false);
  });

  it('fails open, at once, when Redis is down', async () => {
    const down = createRedisClient('redis://127.0.0.1:1', { retryStrategy: () => null });
    down.on('error', () => undefined);
    try {
      const sut = new AuthFailureLimiter(down, config(1));
      const started = Date.now();
      for (let i = 0; i < 5; i++) expect(await sut.check('198.51.100.6', true)).toEqual({ blocked: false, retryAfterSeconds: 0 });
      expect(Date.now() - started).toBeLessThan(2500);
    } finally {
      await closeRedisClient(down);
    }
  });

  it('fails open within its timeout when Redis does not answer', async () => {
    // A hung Redis: it completes the client's handshake (+OK to everything) and then never answers a script.
    const sockets = new Set<Socket>();
    const hungServer = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', (data) => {
        const text = data.toString();
        const commands = text.split('\r\n').filter((line) => /^\*\d+$/.test(line)).length;
        if (!/eval/i.test(text)) socket.write('+OK\r\n'.repeat(commands));
      });
    });
    await new Promise<void>((resolve) => hungServer.listen(0, '127.0.0.1', resolve));
    const hung = createRedisClient(`redis://127.0.0.1:${(hungServer.address() as AddressInfo).port}`, { enableReadyCheck: false });
    try {
      await connected(hung);
      const sut = new AuthFailureLimiter(hung, config(1));
      const started = Date.now();
      expect(await sut.check('198.51.100.7', true)).toEqual({ blocked: false, retryAfterSeconds: 0 });
      expect(Date.now() - started).toBeLessThan(1200);
    } finally {
      hung.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => hungServer.close(resolve));
    }
  });
});
