export interface RefusalSamplerOptions {
  /** Length of a counting window per source address and reason. */
  windowMs: number;
  /** Refusals recorded in full (audit row and log line) per source address and reason per window. */
  recordedPerWindow: number;
  /** Refusals recorded in full per window across all addresses (a flood from many addresses). */
  recordedPerWindowTotal: number;
  /** Windows tracked at once; past it, new addresses share one window per reason (address `*`). */
  maxKeys: number;
}

/** What was left out of the audit trail in one window: one log line replaces `suppressed` rows. */
export interface SuppressedRefusals {
  sourceIp: string;
  reason: string;
  recorded: number;
  suppressed: number;
  windowStart: Date;
}

interface Window {
  sourceIp: string;
  reason: string;
  started: number;
  recorded: number;
  suppressed: number;
}

/**
 * Keeps a flood of refusals from becoming a flood of audit rows: per source address and reason,
 * the first `recordedPerWindow` refusals of each window are recorded in full (and no more than
 * `recordedPerWindowTotal` for all addresses together), the others only counted, and a window
 * that ends with refusals left out is reported once through `onSuppressed`.
 * In memory, per process (the refusal path must not depend on Redis or the database); metrics
 * still count every refusal.
 */
export class RefusalSampler {
  private readonly windows = new Map<string, Window>();
  private total = { started: 0, recorded: 0 };
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly options: RefusalSamplerOptions,
    private readonly onSuppressed: (summary: SuppressedRefusals) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** True: record this refusal in full. False: it was counted, leave it out. */
  admit(sourceIp: string | null, reason: string): boolean {
    const now = this.now();
    let ip = sourceIp ?? 'unknown';
    let window = this.windows.get(key(ip, reason));
    if (window && now - window.started >= this.options.windowMs) {
      this.close(window);
      window = undefined;
    }
    if (!window) {
      if (this.windows.size >= this.options.maxKeys) this.sweep(now);
      if (this.windows.size >= this.options.maxKeys) {
        ip = '*';
        window = this.windows.get(key(ip, reason));
      }
      if (!window) {
        window = { sourceIp: ip, reason, started: now, recorded: 0, suppressed: 0 };
        this.windows.set(key(ip, reason), window);
      }
    }
    if (now - this.total.started >= this.options.windowMs) this.total = { started: now, recorded: 0 };
    if (window.recorded < this.options.recordedPerWindow && this.total.recorded < this.options.recordedPerWindowTotal) {
      window.recorded++;
      this.total.recorded++;
      return true;
    }
    window.suppressed++;
    return false;
  }

  /** Reports and forgets the windows that ended. */
  sweep(now = this.now()): void {
    for (const window of [...this.windows.values()]) if (now - window.started >= this.options.windowMs) this.close(window);
  }

  /** Sweeps every window length (unref'd: never keeps the process alive). */
  start(): void {
    this.timer ??= setInterval(() => this.sweep(), this.options.windowMs).unref();
  }

  /** Stops the timer and reports every open window's count. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const window of [...this.windows.values()]) this.close(window);
  }

  private close(window: Window): void {
    this.windows.delete(key(window.sourceIp, window.reason));
    if (window.suppressed > 0)
      this.onSuppressed({
        sourceIp: window.sourceIp,
        reason: window.reason,
        recorded: window.recorded,
        suppressed: window.suppressed,
        windowStart: new Date(window.started),
      });
  }
}

function key(ip: string, reason: string): string {
  return `${ip}|${reason}`;
}
