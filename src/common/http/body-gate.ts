/** Why a caller did not get a slot. */
export type GateRefusal = 'timeout' | 'aborted';

/**
 * A counting semaphore for request bodies being read: at most `max` at once across the process;
 * the others wait in arrival order, each for at most the time it is given. Bounds the memory held
 * by half-read bodies, whatever the number of open connections.
 */
export class BodyGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly max: number) {}

  /** Bodies being read right now. */
  get inUse(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves with a release function (idempotent) once a slot is free; rejects with the refusal
   * after `timeoutMs`, or when `abort` fires first (the client went away while waiting).
   * `abort(cancel)` arranges for `cancel` to be called on that event and returns how to stop watching.
   */
  acquire(timeoutMs: number, abort?: (cancel: () => void) => () => void): Promise<() => void> {
    if (this.active < this.max) return Promise.resolve(this.take());
    return new Promise((resolve, reject) => {
      let stopWatching = () => {};
      const grant = () => {
        clearTimeout(timer);
        stopWatching();
        resolve(this.take());
      };
      const leave = (why: GateRefusal) => {
        const index = this.waiting.indexOf(grant);
        if (index === -1) return;
        this.waiting.splice(index, 1);
        clearTimeout(timer);
        stopWatching();
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the refusal is a documented GateRefusal value that callers switch on
        reject(why);
      };
      const timer = setTimeout(() => leave('timeout'), timeoutMs);
      this.waiting.push(grant);
      if (abort) stopWatching = abort(() => leave('aborted'));
    });
  }

  private take(): () => void {
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      // Hand the slot straight to the longest waiter (it counts itself back in through take()).
      this.waiting.shift()?.();
    };
  }
}
