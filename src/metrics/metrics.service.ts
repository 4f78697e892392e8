import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** How an outgoing attempt ended (`held` = not sent: the target's circuit is open). */
export type AttemptOutcome = 'sent' | 'retrying' | 'failed' | 'held' | 'cancelled';

/**
 * How an incoming n8n callback ended, in the callbacks metric and in its `webhook_logs` row:
 * - `rejected`: refused by the signature guard (signature, timestamp, body, replay);
 * - `invalid`: its body is not JSON we accept (guard) or fails validation (audit interceptor);
 * - `refused`: authenticated and valid, refused by the domain (404, 409, 422, …);
 * - `error`: a server error (5xx), nothing applied;
 * - `accepted`: applied; `duplicate`: a repeat answered from the idempotency store.
 */
export type CallbackOutcome = 'accepted' | 'duplicate' | 'invalid' | 'refused' | 'rejected' | 'error';

/**
 * The Prometheus metrics of this process, in its own registry (several apps can share a test
 * process). Gauges read on scrape (queue depth, outbox lag, circuits) live in QueueMetricsCollector.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly deliveries = new Counter({
    name: 'bridge_webhook_deliveries_total',
    help: 'Outgoing delivery attempts by event type, subscription and outcome (sent, retrying, failed, held, cancelled)',
    labelNames: ['event', 'subscription', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly duration = new Histogram({
    name: 'bridge_webhook_delivery_duration_seconds',
    help: 'Duration of outgoing delivery attempts (request sent to answer or timeout)',
    labelNames: ['event', 'subscription', 'outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly attempts = new Histogram({
    name: 'bridge_webhook_delivery_attempts',
    help: 'Attempts a delivery took, observed when it ends (sent or failed for good)',
    labelNames: ['event', 'subscription', 'outcome'] as const,
    buckets: [1, 2, 3, 4, 5, 6, 8, 10, 15, 21],
    registers: [this.registry],
  });

  private readonly callbacks = new Counter({
    name: 'bridge_incoming_callbacks_total',
    help: 'Incoming n8n callbacks by endpoint and outcome',
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly signatureFailures = new Counter({
    name: 'bridge_signature_failures_total',
    help: 'Incoming signed requests refused, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** One outgoing attempt (or one delivery held back by an open circuit, with durationMs 0), labelled by the subscription's name. */
  recordAttempt(event: string, subscription: string, outcome: AttemptOutcome, durationMs: number): void {
    this.deliveries.inc({ event, subscription, outcome });
    if (outcome !== 'held' && outcome !== 'cancelled') this.duration.observe({ event, subscription, outcome }, durationMs / 1000);
  }

  /** A delivery ended for good: how many attempts it took. */
  recordDeliveryEnd(event: string, subscription: string, outcome: 'sent' | 'failed', attempts: number): void {
    this.attempts.observe({ event, subscription, outcome }, attempts);
  }

  /** For the incoming callback controllers: `recordCallback('demo-status', 'accepted')`. */
  recordCallback(endpoint: string, outcome: CallbackOutcome): void {
    this.callbacks.inc({ endpoint, outcome });
  }

  recordSignatureFailure(reason: string): void {
    this.signatureFailures.inc({ reason });
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
