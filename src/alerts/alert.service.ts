import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { hashedKey } from '../redis/hashed-key';
import { REDIS, RedisClient } from '../redis/redis.module';
import type { WorkflowErrorData } from '../events/payloads';
import { TriggerService } from '../triggers/trigger.service';
import { ALERT_SOURCE, isAlertPayload } from './alert-target';

export type AlertKind = 'delivery_failed' | 'circuit_open' | 'subscription_disabled';

export interface FailedDelivery {
  id: string;
  eventType: string;
  target: string;
  error: string;
  attempts: number;
  payload: Record<string, unknown>;
}

/** What an alert carries besides the usual workflow_error fields. */
export interface AlertDetails {
  kind: AlertKind;
  target_url: string;
  dedup_window_ms: number;
  [key: string]: unknown;
}

export const ALERT_WORKFLOW_ID = 'n8n-webhook-bridge';

/**
 * Raises a critical `workflow_error` event when a delivery fails for good or a target's circuit
 * opens — once per incident: the first one per (kind, target URL) within ALERT_DEDUP_WINDOW_MS
 * goes out, the rest are only logged (dedupe key in Redis, shared by every worker). A failing
 * alert is never alerted about (no loop). Never throws: alerting must not break a delivery.
 */
@Injectable()
export class AlertService {
  private readonly logger = new Logger(AlertService.name);
  private readonly prefix: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly triggers: TriggerService,
  ) {
    this.prefix = `${config.redis.queuePrefix}:alert:`;
  }

  async deliveryFailed(failure: FailedDelivery): Promise<void> {
    if (isAlertPayload(failure.payload)) {
      this.logger.error(
        { delivery_id: failure.id, target: failure.target, error: failure.error },
        'An alert could not be delivered; not alerting about it',
      );
      return;
    }
    await this.raise(
      `Webhook ${failure.eventType} to ${failure.target} failed for good after ${failure.attempts} attempt(s): ${failure.error}`.slice(
        0,
        1000,
      ),
      {
        kind: 'delivery_failed',
        target_url: failure.target,
        delivery_id: failure.id,
        event: failure.eventType,
        attempts: failure.attempts,
        dedup_window_ms: this.config.alerts.dedupWindowMs,
      },
    );
  }

  async circuitOpened(target: string, consecutiveFailures: number): Promise<void> {
    await this.raise(
      `Deliveries to ${target} are paused for ${this.config.circuit.cooldownMs} ms after ${consecutiveFailures} consecutive failures (circuit open)`,
      {
        kind: 'circuit_open',
        target_url: target,
        consecutive_failures: consecutiveFailures,
        cooldown_ms: this.config.circuit.cooldownMs,
        dedup_window_ms: this.config.alerts.dedupWindowMs,
      },
    );
  }

  /** A subscription was disabled because its deliveries did nothing but fail for SUBSCRIPTION_DISABLE_AFTER_HOURS. */
  async subscriptionDisabled(subscription: { id: string; name: string; url: string | null; reason: string }): Promise<void> {
    await this.raise(`Subscription "${subscription.name}" was disabled: ${subscription.reason}`.slice(0, 1000), {
      kind: 'subscription_disabled',
      target_url: subscription.url ?? '',
      subscription_id: subscription.id,
      subscription: subscription.name,
      dedup_window_ms: this.config.alerts.dedupWindowMs,
    });
  }

  private async raise(message: string, alert: AlertDetails): Promise<void> {
    try {
      if (!(await this.firstInWindow(alert.kind, alert.target_url))) {
        this.logger.warn({ alert }, `Alert suppressed (already raised in this window): ${message}`);
        return;
      }
      const data: WorkflowErrorData & { alert: AlertDetails } = {
        workflow_id: ALERT_WORKFLOW_ID,
        error_message: message,
        severity: 'critical',
        source: ALERT_SOURCE,
        alert,
      };
      await this.triggers.workflowError(data, { priority: 3 });
      this.logger.error({ alert }, `Alert raised: ${message}`);
    } catch (error) {
      this.logger.error({ err: error, alert }, `Could not raise an alert: ${message}`);
    }
  }

  /** SET NX with the window as TTL: true for the first caller of the window, in any process. */
  private async firstInWindow(kind: AlertKind, target: string): Promise<boolean> {
    const key = hashedKey(`${this.prefix}${kind}:`, target);
    const reply = await this.redis.set(key, new Date().toISOString(), 'PX', this.config.alerts.dedupWindowMs, 'NX');
    return reply === 'OK';
  }
}
