export interface MicroBatcherOptions {
  /** Largest batch handed to the handler at once. */
  maxBatch: number;
  /**
   * Called when a batch fails: return a delay in ms to try the same batch again, or undefined
   * to give up and reject every item of it.
   */
  retryDelay?: (error: unknown, attempt: number) => number | undefined;
  /** Batches in flight at once (default 1: items arriving meanwhile form the next batch). */
  concurrency?: number;
}

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for many small concurrent operations: items submitted while a batch is in
 * flight are handled together in the next one (one multi-row statement instead of N round
 * trips). Each `submit` resolves with its own result once its batch succeeded.
 */
export class MicroBatcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private inFlight = 0;
  private idle: Promise<void> = Promise.resolve();
  private markIdle?: () => void;

  constructor(
    private readonly handler: (items: I[]) => Promise<O[]>,
    private readonly options: MicroBatcherOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.inFlight === 0 && this.queue.length === 1) this.idle = new Promise((r) => (this.markIdle = r));
      this.pump();
    });
  }

  /** Resolves when every submitted item has been handled. */
  drained(): Promise<void> {
    return this.queue.length || this.inFlight ? this.idle : Promise.resolve();
  }

  get pending(): number {
    return this.queue.length;
  }

  private pump(): void {
    while (this.queue.length && this.inFlight < (this.options.concurrency ?? 1)) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        if (this.queue.length) this.pump();
        else if (this.inFlight === 0) this.markIdle?.();
      });
    }
  }

  private async run(batch: Pending<I, O>[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const results = await this.handler(batch.map((p) => p.item));
        batch.forEach((p, i) => p.resolve(results[i]));
        return;
      } catch (error) {
        const delay = this.options.retryDelay?.(error, attempt);
        if (delay === undefined) {
          batch.forEach((p) => p.reject(error));
          return;
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
