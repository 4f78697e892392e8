import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { deliveryTarget } from '../alerts/alert-target';
import { AlertService } from '../alerts/alert.service';
import { DeliveryRepository } from '../outbox/delivery.repository';
import type { DeliveryJobData } from '../queue/queue.constants';
import { WebhookSignerService } from '../security/webhook-signer.service';
import { CircuitBreakerService } from '../circuit-breaker/circuit-breaker.service';
import { attemptOutcome, isTargetFailure } from './attempt-outcome';
import { DeliveryClaimsService } from './delivery-claims.service';
import { AttemptRecord, DeliveryRecorderService } from './delivery-recorder.service';
import { RetryableDeliveryError } from './delivery.errors';
import { HttpSenderService } from './http-sender.service';
import { ChainAdvancer } from './chain-advancer.service';
import { canLeave } from '../outbox/delivery-transitions';
import { SecretCipher } from '../subscriptions/secret-cipher';
import { signingKeys } from '../subscriptions/signing-secrets';

export type DeliveryOutcome = 'sent' | 'skipped' | 'disabled' | 'discarded';

/** How long a job waits for its outbox row to become visible (a publish that raced its commit). */
const MISSING_ROW_GRACE_MS = 60_000;
const SIGNATURE_HEADERS = new Set(['x-webhook-signature-256', 'webhook-signature', 'authorization']);

/** A blocked `per_entity` delivery looks at its predecessor again after this long, if nothing promoted it before. */
const BLOCKED_RECHECK_MS = 30_000;
const UNBLOCKED_RETRY_MS = 20;

/** Held deliveries come back spread over up to this long after the circuit's wait, not all at once. */
const HOLD_SPREAD_MS = 1000;

/**
 * One delivery attempt: claim the outbox row, ask the target's circuit, sign, POST, ask what the
 * answer means (attempt-outcome.ts), record the attempt, and tell BullMQ what happened (return = done; RetryableDeliveryError
 * = retry with backoff; UnrecoverableError = permanent failure; DelayedError = held by an open
 * circuit without spending an attempt).
 */
@Injectable()
export class DeliveryService {
  private readonly logger = new Logger(DeliveryService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly deliveries: DeliveryRepository,
    private readonly signer: WebhookSignerService,
    private readonly http: HttpSenderService,
    private readonly recorder: DeliveryRecorderService,
    private readonly claims: DeliveryClaimsService,
    private readonly circuit: CircuitBreakerService,
    private readonly metrics: MetricsService,
    private readonly alerts: AlertService,
    private readonly chains: ChainAdvancer,
    private readonly cipher: SecretCipher,
  ) {}

  async deliver(job: Job<DeliveryJobData>, token?: string): Promise<DeliveryOutcome> {
    const { id } = job.data;
    const event = await this.claims.claim(id);
    if (!event) return this.handleUnclaimed(job, token);
    // The row counts attempts (a stalled job, one the relay re-created, a retry or a replay go on counting).
    const { attempt, max_attempts: maxAttempts } = event;

    const sub = event.subscription;
    const body = JSON.stringify(event.payload);
    const base = {
      id,
      attempt,
      subscriptionId: sub.id,
      eventType: event.event_type,
      entityType: event.entity_type,
      entityId: event.entity_id,
      requestBody: body,
    };
    if (event.interrupted) await this.recordInterrupted({ ...base, attempt: attempt - 1 }, sub.url);
    const url = sub.built_in ? deliveryTarget(this.config, event.event_type, event.payload) : sub.url;
    const stopped = sub.deleted
      ? 'subscription deleted'
      : !sub.enabled
        ? 'subscription disabled'
        : url
          ? undefined
          : `event type ${event.event_type} is switched off`;
    if (stopped !== undefined || !url) {
      await this.recorder.record({
        ...base,
        status: 'cancelled',
        statusCode: null,
        error: stopped ?? 'no target URL',
        durationMs: 0,
        scheduledDelayMs: null,
        targetUrl: url ?? '',
        requestHeaders: {},
        responseBody: null,
      });
      this.metrics.recordAttempt(event.event_type, sub.name, 'cancelled', 0);
      if (event.chained) await this.chains.advance(id);
      return 'disabled';
    }

    // One circuit per subscription and URL: the built-in subscription's circuits are keyed by URL alone, as before subscriptions.
    const circuit = sub.built_in ? url : `${url} (subscription ${sub.id})`;
    const admission = await this.circuit.admit(circuit);
    if (!admission.allowed) return this.hold(job, token, attempt, event.event_type, sub.name, admission.waitMs);
    if (admission.probe) this.logger.log({ delivery_id: id, target: circuit }, 'Circuit half-open: this delivery probes the target');

    const keys = signingKeys(sub, this.cipher);
    const headers = await this.signer.sign(body, { id: event.event_id, event: event.event_type, attempt }, keys);
    const result = await this.http.post(url, headers, body);
    const record = {
      ...base,
      targetUrl: url,
      requestHeaders: redact(headers),
      responseBody: result.body ?? null,
      durationMs: result.durationMs,
      statusCode: result.status ?? null,
    };
    // Any answer not worth a retry (2xx, or a permanent 4xx) shows the target is up.
    if (isTargetFailure(result)) await this.targetFailed(circuit);
    else await this.circuit.recordSuccess(circuit);

    // Retry delays follow the attempt's place in its budget (a retry or replay opens a new one).
    const delays = this.config.webhook.retryDelaysMs;
    const inBudget = Math.max(1, attempt - Math.max(0, maxAttempts - delays.length - 1));
    const outcome = attemptOutcome(result, { attempt: inBudget, maxAttempts: inBudget + (maxAttempts - attempt), retryDelaysMs: delays });
    switch (outcome.status) {
      case 'sent':
        await this.recorder.record({ ...record, status: 'sent', error: null, scheduledDelayMs: null });
        this.metrics.recordAttempt(event.event_type, sub.name, 'sent', result.durationMs);
        this.metrics.recordDeliveryEnd(event.event_type, sub.name, 'sent', attempt);
        if (event.chained) await this.chains.advance(id);
        return 'sent';
      case 'retrying':
        await this.recorder.record({ ...record, status: 'retrying', error: outcome.error, scheduledDelayMs: outcome.delayMs });
        this.metrics.recordAttempt(event.event_type, sub.name, 'retrying', result.durationMs);
        throw new RetryableDeliveryError(outcome.error, result.status, outcome.delayMs);
      case 'failed': {
        const { error } = outcome;
        await this.recorder.record({ ...record, status: 'failed', error, scheduledDelayMs: null });
        this.metrics.recordAttempt(event.event_type, sub.name, 'failed', result.durationMs);
        this.metrics.recordDeliveryEnd(event.event_type, sub.name, 'failed', attempt);
        this.logger.warn(
          { delivery_id: id, event: event.event_type, subscription: sub.name, attempt, status: result.status, error },
          'Webhook delivery failed for good',
        );
        if (event.chained) await this.chains.advance(id);
        await this.alerts.deliveryFailed({
          id,
          eventType: event.event_type,
          target: url,
          error,
          attempts: attempt,
          payload: event.payload,
        });
        if (outcome.retryable) throw new RetryableDeliveryError(`${error} (attempts exhausted)`, result.status);
        throw new UnrecoverableError(`${error} (permanent)`);
      }
    }
  }

  /**
   * The previous attempt was claimed and never recorded: its worker died (or lost the job) while
   * it was in flight. Whether the receiver got it is unknown; it is audited as `interrupted`.
   */
  private async recordInterrupted(
    base: Omit<
      AttemptRecord,
      'status' | 'statusCode' | 'error' | 'durationMs' | 'scheduledDelayMs' | 'targetUrl' | 'requestHeaders' | 'responseBody'
    >,
    url: string,
  ): Promise<void> {
    await this.recorder.record({
      ...base,
      status: 'interrupted',
      statusCode: null,
      error: 'interrupted: the worker stopped before this attempt was answered or recorded (the receiver may have got it)',
      durationMs: 0,
      scheduledDelayMs: null,
      targetUrl: url,
      requestHeaders: {},
      responseBody: null,
    });
  }

  /** Counts a failure against the target's circuit; the failure that opens it raises an alert. */
  private async targetFailed(url: string): Promise<void> {
    const transition = await this.circuit.recordFailure(url);
    if (transition === 'opened') await this.alerts.circuitOpened(url, this.config.circuit.failureThreshold);
  }

  /**
   * The target's circuit is open: puts the row back as it was before the claim (no attempt spent,
   * nothing recorded in the history) and gives the job back to BullMQ, delayed until the circuit
   * lets a delivery through (`moveToDelayed` does not count an attempt).
   */
  private async hold(
    job: Job<DeliveryJobData>,
    token: string | undefined,
    attempt: number,
    eventType: string,
    subscription: string,
    waitMs: number,
  ): Promise<never> {
    const until = Date.now() + waitMs + Math.round(Math.random() * HOLD_SPREAD_MS);
    await this.deliveries.hold(job.data.id, attempt, until);
    this.metrics.recordAttempt(eventType, subscription, 'held', 0);
    await job.moveToDelayed(until, token);
    throw new DelayedError();
  }

  /**
   * A job whose row is finished does nothing; one whose row is not visible yet waits a little. A
   * `per_entity` delivery behind an unfinished one of its entity waits in the delayed set until
   * its predecessor finishes (ChainAdvancer promotes it then; BLOCKED_RECHECK_MS is the fallback).
   */
  private async handleUnclaimed(job: Job<DeliveryJobData>, token?: string): Promise<DeliveryOutcome> {
    const { id } = job.data;
    const state = await this.deliveries.claimState(id);
    if (!state) {
      if (Date.now() - job.timestamp > MISSING_ROW_GRACE_MS) return 'discarded';
      await job.moveToDelayed(Date.now() + 1000, token);
      throw new DelayedError();
    }
    if (!canLeave('claim', state.status)) return 'skipped';
    if (!state.blocked) {
      // Its predecessor finished between the claim and now: straight back to the queue.
      await job.moveToDelayed(Date.now() + UNBLOCKED_RETRY_MS, token);
      throw new DelayedError();
    }
    await job.moveToDelayed(Date.now() + BLOCKED_RECHECK_MS, token);
    // The predecessor may have finished before this job reached the delayed set, when nobody could promote it.
    const now = await this.deliveries.claimState(id);
    if (now && !now.blocked && canLeave('claim', now.status)) await this.chains.promoteJob(job);
    throw new DelayedError();
  }
}

/** Request headers as audited: signatures and tokens are never stored. */
function redact(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = SIGNATURE_HEADERS.has(k.toLowerCase()) ? '[redacted]' : v;
  return out;
}
