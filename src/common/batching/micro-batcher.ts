export interface MicroBatcherOptions<I, O> {
  /** Largest batch handed to the handler at once. */
  maxBatch: number;
  /** Batches in flight at once (default 1: items arriving meanwhile form the next batch). */
  concurrency?: number;
  /**
   * Called when a batch fails: return a delay in ms to try the same batch again (a transient
   * failure, e.g. the database is unreachable), or undefined to stop trying it. Not called once
   * the batcher is closed (see `closeWithin`).
   */
  retryDelay?: (error: unknown, attempt: number) => number | undefined;
  /**
   * For a failure not retried: true when it may come from one of the items (a row the database
   * refuses). The batch is then split in halves, each handled on its own, down to the failing
   * items alone, so that one bad item cannot take the others with it. Default: never split (every
   * item of the batch is rejected with the error).
   */
  splitOn?: (error: unknown) => boolean;
  /**
   * An item that failed alone with an error `splitOn` accepts: its result another way (e.g. a
   * reduced row), or throw to reject it. Default: the item is rejected with the error.
   */
  onItemFailure?: (item: I, error: unknown) => Promise<O>;
  /** The items given up at the deadline of `closeWithin` (each is also rejected with BatcherClosedError). */
  onAbandoned?: (items: I[]) => void;
}

/** The batcher was closed (shutdown) before this item could be handled. */
export class BatcherClosedError extends Error {
  constructor() {
    super('Not handled: the batcher was closed before this item could be written');
    this.name = 'BatcherClosedError';
  }
}

interface Pending<I, O> {
  item: I;
  settled: boolean;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for many small concurrent operations: items submitted while a batch is in
 * flight are handled together in the next one (one multi-row statement instead of N round
 * trips). Each `submit` resolves with its own result once its batch succeeded.
 *
 * Failures cost nothing to the healthy case: a batch is only split (bisected) when it fails
 * with an error `splitOn` attributes to an item, and only retried as a whole while `retryDelay`
 * says so. `closeWithin` bounds how long shutdown waits for it, whatever the handler is doing.
 */
export class MicroBatcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private readonly unsettled = new Set<Pending<I, O>>();
  /** Batches holding a concurrency slot; a batch abandoned at close gives its slot back at once. */
  private readonly running = new Set<object>();
  private readonly sleepers = new Set<() => void>();
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private deadline?: NodeJS.Timeout;

  constructor(
    private readonly handler: (items: I[]) => Promise<O[]>,
    private readonly options: MicroBatcherOptions<I, O>,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const pending: Pending<I, O> = { item, settled: false, resolve, reject };
      this.queue.push(pending);
      this.unsettled.add(pending);
      this.pump();
    });
  }

  /** Resolves when every item submitted (so far and meanwhile) has been handled or given up. */
  drained(): Promise<void> {
    return this.unsettled.size === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Items submitted and not yet handled. */
  get pending(): number {
    return this.unsettled.size;
  }

  /**
   * For shutdown: items keep being handled (and transient failures retried) for at most `ms`
   * more. At that deadline every item not yet handled is given up: rejected with
   * BatcherClosedError and reported to `onAbandoned`, even one whose handler call is still
   * running (its outcome is then ignored). From then on, batches are tried once, never retried.
   * Resolves when everything is handled or given up, so within `ms`.
   */
  closeWithin(ms: number): Promise<void> {
    if (!this.deadline && !this.closed) {
      this.deadline = setTimeout(() => this.abandon(), ms);
      this.deadline.unref();
    }
    return this.drained();
  }

  private pump(): void {
    while (this.queue.length && this.running.size < (this.options.concurrency ?? 1)) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      const slot = {};
      this.running.add(slot);
      void this.handle(batch)
        .catch((error: unknown) => batch.forEach((p) => this.settle(p, () => p.reject(error))))
        .finally(() => {
          this.running.delete(slot);
          this.pump();
        });
    }
  }

  private async handle(batch: Pending<I, O>[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (batch.every((p) => p.settled)) return;
      try {
        const results = await this.handler(batch.map((p) => p.item));
        // The handler answers one result per item, in order (O may be void, so undefined is a valid result).
        batch.forEach((p, i) => this.settle(p, () => p.resolve(results[i] as O)));
        return;
      } catch (error) {
        const delay = this.closed ? undefined : this.options.retryDelay?.(error, attempt);
        if (delay !== undefined) {
          await this.sleep(delay);
          continue;
        }
        const split = this.options.splitOn?.(error) ?? false;
        if (split && batch.length > 1) {
          const half = Math.ceil(batch.length / 2);
          await this.handle(batch.slice(0, half));
          await this.handle(batch.slice(half));
          return;
        }
        const [only] = batch;
        if (split && this.options.onItemFailure && batch.length === 1 && only)
          return this.fallback(only, error, this.options.onItemFailure);
        batch.forEach((p) => this.settle(p, () => p.reject(error)));
        return;
      }
    }
  }

  private async fallback(pending: Pending<I, O>, error: unknown, onItemFailure: (item: I, error: unknown) => Promise<O>): Promise<void> {
    try {
      const result = await onItemFailure(pending.item, error);
      this.settle(pending, () => pending.resolve(result));
    } catch (fallbackError) {
      this.settle(pending, () => pending.reject(fallbackError));
    }
  }

  /** The deadline of `closeWithin`: gives up everything not handled yet and stops retrying. */
  private abandon(): void {
    this.closed = true;
    const abandoned = [...this.unsettled];
    this.queue = [];
    this.running.clear();
    for (const wake of [...this.sleepers]) wake();
    if (abandoned.length) this.options.onAbandoned?.(abandoned.map((p) => p.item));
    const error = new BatcherClosedError();
    abandoned.forEach((p) => this.settle(p, () => p.reject(error)));
  }

  private settle(pending: Pending<I, O>, done: () => void): void {
    if (pending.settled) return;
    pending.settled = true;
    this.unsettled.delete(pending);
    done();
    if (this.unsettled.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** A retry wait, cut short by `abandon`. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
