/** A delivery attempt that failed but may succeed later (network error, timeout, 408/425/429/5xx). */
export class RetryableDeliveryError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
    /** The delay before the next attempt, already computed (configured delay with jitter, or Retry-After). */
    readonly delayMs?: number,
  ) {
    super(message);
    this.name = 'RetryableDeliveryError';
  }
}
