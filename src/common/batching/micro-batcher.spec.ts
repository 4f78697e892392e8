import { BatcherClosedError, MicroBatcher } from './micro-batcher';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MicroBatcher', () => {
  it('hands items submitted while a batch is in flight to the next batch, and resolves each with its result', async () => {
    const batches: number[][] = [];
    const sut = new MicroBatcher<number, number>(
      async (items) => {
        batches.push(items);
        await sleep(5);
        return items.map((n) => n * 2);
      },
      { maxBatch: 100 },
    );
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => sut.submit(i)));
    expect(results).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(batches).toEqual([[0], [1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  });

  it('splits at maxBatch', async () => {
    const sizes: number[] = [];
    const sut = new MicroBatcher<number, void>(
      (items) => {
        sizes.push(items.length);
        return Promise.resolve(items.map(() => undefined));
      },
      { maxBatch: 3 },
    );
    await Promise.all(Array.from({ length: 8 }, (_, i) => sut.submit(i)));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(8);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
  });

  it('retries a failed batch while retryDelay says so, then succeeds', async () => {
    let calls = 0;
    const sut = new MicroBatcher<string, string>(
      (items) => {
        if (++calls < 3) return Promise.reject(new Error('database down'));
        return Promise.resolve(items.map((s) => s.toUpperCase()));
      },
      { maxBatch: 10, retryDelay: (_e, attempt) => (attempt < 5 ? 1 : undefined) },
    );
    await expect(sut.submit('a')).resolves.toBe('A');
    expect(calls).toBe(3);
  });

  it('rejects every item of a batch when retryDelay gives up and splitOn is not set', async () => {
    let calls = 0;
    const sut = new MicroBatcher<string, string>(
      () => {
        calls++;
        return Promise.reject(new Error('constraint violated'));
      },
      { maxBatch: 10 },
    );
    const results = await Promise.allSettled([sut.submit('a'), sut.submit('b'), sut.submit('c')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(calls).toBe(2); // [a], then [b, c]: never split
  });

  it('reports when everything submitted is handled', async () => {
    let handled = 0;
    const sut = new MicroBatcher<number, void>(
      async (items) => {
        await sleep(5);
        handled += items.length;
        return items.map(() => undefined);
      },
      { maxBatch: 2 },
    );
    for (let i = 0; i < 5; i++) void sut.submit(i);
    await sut.drained();
    expect(handled).toBe(5);
  });

  describe('a batch the handler refuses because of one item', () => {
    /** A handler that refuses any batch holding a "bad" item, like Postgres refusing a multi-row statement. */
    const refusing = (calls: string[][]) => (items: string[]) => {
      calls.push(items);
      if (items.some((s) => s.startsWith('bad')))
        return Promise.reject(Object.assign(new Error('invalid byte sequence'), { code: '22021' }));
      return Promise.resolve(items.map((s) => s.toUpperCase()));
    };

    it('is bisected until the bad item is alone: the others succeed, the bad one is rejected, in few calls', async () => {
      const calls: string[][] = [];
      const sut = new MicroBatcher<string, string>(refusing(calls), { maxBatch: 100, splitOn: () => true });
      const items = ['first', ...Array.from({ length: 15 }, (_, i) => (i === 9 ? 'bad' : `ok${i}`))];
      const results = await Promise.allSettled(items.map((s) => sut.submit(s)));
      results.forEach((r, i) => {
        if (items[i] === 'bad') expect(r).toMatchObject({ status: 'rejected', reason: { code: '22021' } });
        else expect(r).toEqual({ status: 'fulfilled', value: items[i]!.toUpperCase() });
      });
      // [first], then the 15 others: 15 → 8 → 4 → 2 → 1 (the bad one), plus the sibling halves that succeed.
      expect(calls.length).toBeLessThanOrEqual(2 + 2 * Math.ceil(Math.log2(15)));
      expect(calls.filter((c) => c.length === 1 && c[0] === 'bad')).toHaveLength(1);
    });

    it('gives the bad item to onItemFailure, whose result it resolves with', async () => {
      const calls: string[][] = [];
      const fallbacks: string[] = [];
      const sut = new MicroBatcher<string, string>(refusing(calls), {
        maxBatch: 100,
        splitOn: () => true,
        onItemFailure: (item, error) => {
          fallbacks.push(`${item}:${(error as { code: string }).code}`);
          return Promise.resolve('REDUCED');
        },
      });
      void sut.submit('warm-up');
      const results = await Promise.all(['a', 'bad1', 'b', 'bad2', 'c'].map((s) => sut.submit(s)));
      expect(results).toEqual(['A', 'REDUCED', 'B', 'REDUCED', 'C']);
      expect(fallbacks.sort()).toEqual(['bad1:22021', 'bad2:22021']);
    });

    it('rejects the item when onItemFailure throws, without trying it again', async () => {
      const calls: string[][] = [];
      const sut = new MicroBatcher<string, string>(refusing(calls), {
        maxBatch: 100,
        splitOn: () => true,
        onItemFailure: () => Promise.reject(new Error('even reduced')),
      });
      await expect(sut.submit('bad')).rejects.toThrow('even reduced');
      expect(calls).toEqual([['bad']]);
    });

    it('is retried as a whole, never split, while the failure is transient', async () => {
      let down = 2;
      const sizes: number[] = [];
      const sut = new MicroBatcher<number, number>(
        (items) => {
          sizes.push(items.length);
          if (down-- > 0) return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
          return Promise.resolve(items);
        },
        {
          maxBatch: 100,
          retryDelay: (e) => ((e as { code?: string }).code === 'ECONNREFUSED' ? 1 : undefined),
          splitOn: (e) => (e as { code?: string }).code !== 'ECONNREFUSED',
        },
      );
      void sut.submit(0);
      const results = await Promise.all([1, 2, 3, 4].map((n) => sut.submit(n)));
      expect(results).toEqual([1, 2, 3, 4]);
      expect(sizes).toEqual([1, 1, 1, 4]);
    });
  });

  describe('closeWithin (shutdown)', () => {
    it('resolves as soon as everything is handled when that comes first', async () => {
      const sut = new MicroBatcher<number, number>(
        async (items) => {
          await sleep(20);
          return items;
        },
        { maxBatch: 10 },
      );
      const done = Promise.all([sut.submit(1), sut.submit(2)]);
      const started = Date.now();
      await sut.closeWithin(5000);
      expect(Date.now() - started).toBeLessThan(1000);
      await expect(done).resolves.toEqual([1, 2]);
    });

    it('gives up at the deadline a batch retrying forever: its items are rejected and reported, retries stop', async () => {
      let calls = 0;
      const abandoned: number[][] = [];
      const sut = new MicroBatcher<number, void>(
        () => {
          calls++;
          return Promise.reject(new Error('database unreachable'));
        },
        { maxBatch: 10, retryDelay: () => 30, onAbandoned: (items) => abandoned.push(items) },
      );
      const outcomes = [1, 2, 3].map((n) =>
        sut.submit(n).then(
          () => 'written',
          (e: unknown) => e,
        ),
      );
      await sleep(50);
      const started = Date.now();
      await sut.closeWithin(150);
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(140);
      expect(waited).toBeLessThan(1000);
      for (const outcome of await Promise.all(outcomes)) expect(outcome).toBeInstanceOf(BatcherClosedError);
      expect(abandoned.flat().sort()).toEqual([1, 2, 3]);
      expect(sut.pending).toBe(0);
      const callsAtClose = calls;
      await sleep(100);
      expect(calls).toBe(callsAtClose);
    });

    it('gives up a handler call that never returns, frees its slot, and tries later items once', async () => {
      let hang = true;
      const seen: number[][] = [];
      const sut = new MicroBatcher<number, number>(
        (items) => {
          seen.push(items);
          if (hang) return new Promise<number[]>(() => undefined);
          throw new Error('still unreachable');
        },
        { maxBatch: 10, retryDelay: () => 1 },
      );
      const stuck = sut.submit(1).catch((e: unknown) => e);
      await sut.closeWithin(50);
      expect(await stuck).toBeInstanceOf(BatcherClosedError);

      hang = false;
      await expect(sut.submit(2)).rejects.toThrow('still unreachable');
      expect(seen).toEqual([[1], [2]]); // after the deadline: one try, no retry
    });

    it('still handles items submitted during the grace period', async () => {
      const sut = new MicroBatcher<number, number>((items) => Promise.resolve(items), { maxBatch: 10 });
      const closing = sut.closeWithin(1000);
      await expect(sut.submit(7)).resolves.toBe(7);
      await closing;
    });
  });
});
