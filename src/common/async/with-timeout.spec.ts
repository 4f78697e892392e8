import { withTimeout } from './with-timeout';

describe('withTimeout', () => {
  it('gives the result when it comes in time', async () => {
    await expect(withTimeout(Promise.resolve(42), 1000)).resolves.toBe(42);
    await expect(withTimeout(Promise.reject(new Error('own')), 1000)).rejects.toThrow('own');
  });

  it('rejects with the message when it does not', async () => {
    const never = new Promise<never>(() => undefined);
    await expect(withTimeout(never, 5)).rejects.toThrow('timed out after 5 ms');
    await expect(withTimeout(never, 5, 'Redis did not answer within 5 ms')).rejects.toThrow('Redis did not answer within 5 ms');
  });
});
