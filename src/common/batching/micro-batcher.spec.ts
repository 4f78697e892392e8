import { MicroBatcher } from './micro-batcher';

describe('MicroBatcher', () => {
  it('hands items submitted while a batch is in flight to the next batch, and resolves each with its result', async () => {
    const batches: number[][] = [];
    const sut = new MicroBatcher<number, number>(async (items) => {
      batches.push(items);
      await new Promise((r) => setTimeout(r, 5));
      return items.map((n) => n * 2);
    }, { maxBatch: 100 });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => sut.submit(i)));
    expect(results).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(batches).toEqual([[0], [1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  });

  it('splits at maxBatch', async () => {
    const sizes: number[] = [];
    const sut = new MicroBatcher<number, void>(async (items) => {
      sizes.push(items.length);
      return items.map(() => undefined);
    }, { maxBatch: 3 });
    await Promise.all(Array.from({ length: 8 }, (_, i) => sut.submit(i)));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(8);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
  });

  it('retries a failed batch while retryDelay says so, then succeeds', async () => {
    let calls = 0;
    const sut = new MicroBatcher<string, string>(async (items) => {
      if (++calls < 3) throw new Error('database down');
      return items.map((s) => s.toUpperCase());
    }, { maxBatch: 10, retryDelay: (_e, attempt) => (attempt < 5 ? 1 : undefined) });
    await expect(sut.submit('a')).resolves.toBe('A');
    expect(calls).toBe(3);
  });

  it('rejects every item of a batch when retryDelay gives up', async () => {
    const sut = new MicroBatcher<string, string>(async () => {
      throw new Error('constraint violated');
    }, { maxBatch: 10 });
    await expect(Promise.all([sut.submit('a'), sut.submit('b')])).rejects.toThrow('constraint violated');
  });

  it('reports when everything submitted is handled', async () => {
    let handled = 0;
    const sut = new MicroBatcher<number, void>(async (items) => {
      await new Promise((r) => setTimeout(r, 5));
      handled += items.length;
      return items.map(() => undefined);
    }, { maxBatch: 2 });
    for (let i = 0; i < 5; i++) void sut.submit(i);
    await sut.drained();
    expect(handled).toBe(5);
  });
});
