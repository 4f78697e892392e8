import { BodyGate } from './body-gate';

describe('BodyGate', () => {
  it('lets `max` in at once and hands each released slot to the longest waiter', async () => {
    const sut = new BodyGate(2);
    const a = await sut.acquire(1000);
    await sut.acquire(1000);
    const order: string[] = [];
    const c = sut.acquire(1000).then((release) => (order.push('c'), release));
    const d = sut.acquire(1000).then((release) => (order.push('d'), release));
    expect(sut.queued).toBe(2);
    a();
    a(); // idempotent: does not free a second slot
    await c;
    expect(order).toEqual(['c']);
    expect(sut.inUse).toBe(2);
    expect(sut.queued).toBe(1);
    (await c)();
    await d;
    expect(order).toEqual(['c', 'd']);
  });

  it('refuses a waiter after its timeout, and one whose client went away, and forgets both', async () => {
    const sut = new BodyGate(1);
    const held = await sut.acquire(1000);
    await expect(sut.acquire(20)).rejects.toBe('timeout');
    let cancel = () => {};
    const aborted = sut.acquire(1000, (c) => ((cancel = c), () => {}));
    cancel();
    await expect(aborted).rejects.toBe('aborted');
    expect(sut.queued).toBe(0);
    held();
    expect(sut.inUse).toBe(0);
  });
});
