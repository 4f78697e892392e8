import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AlertService } from '../alerts/alert.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import type { AttemptStatus } from '../outbox/delivery-transitions';
import { SubscriptionRepository } from '../subscriptions/subscription.repository';

/** How long this process trusts what it last wrote about a subscription's streak before writing again. */
const KNOWN_MS = 10_000;
/** How often, at most, one subscription is checked for disabling. */
const DISABLE_CHECK_MS = 10_000;

interface Outcome {
  subscriptionId?: string;
  status: AttemptStatus | 'interrupted';
}

/**
 * Keeps each subscription's failure streak (`failing_since`) with the attempts that end or start
 * it, and disables a subscription whose deliveries have done nothing but fail for
 * SUBSCRIPTION_DISABLE_AFTER_HOURS (one alert, a `disabled_reason`). Writes only what changes:
 * a process remembers for a few seconds what it last wrote, so a busy healthy subscription costs
 * no statement per batch.
 */
@Injectable()
export class SubscriptionHealthService {
  private readonly logger = new Logger(SubscriptionHealthService.name);
  private readonly known = new Map<string, { failing: boolean; until: number }>();
  private readonly lastCheck = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly subscriptions: SubscriptionRepository,
    private readonly alerts: AlertService,
  ) {}

  /** Inside the batch's transaction: streaks ended by a success, streaks started by a failure. */
  async note(outcomes: Outcome[], manager: EntityManager): Promise<void> {
    const now = Date.now();
    const succeeded = new Set<string>();
    const failed = new Set<string>();
    for (const { subscriptionId: id, status } of outcomes) {
      if (id === undefined) continue;
      if (status === 'sent') succeeded.add(id);
      else if (status === 'retrying' || status === 'failed') failed.add(id);
    }
    const stale = (id: string, failing: boolean) => {
      const k = this.known.get(id);
      return !k || k.until < now || k.failing !== failing;
    };
    const ok = [...succeeded].filter((id) => stale(id, false));
    const bad = [...failed].filter((id) => !succeeded.has(id) && stale(id, true));
    if (ok.length === 0 && bad.length === 0) return;
    await this.subscriptions.noteOutcomes(ok, bad, manager);
    for (const id of ok) this.known.set(id, { failing: false, until: now + KNOWN_MS });
    for (const id of bad) this.known.set(id, { failing: true, until: now + KNOWN_MS });
  }

  /** After the batch committed: subscriptions that only failed are checked against the disable threshold. */
  afterCommit(outcomes: Outcome[]): void {
    const afterMs = this.config.subscriptions.disableAfterMs;
    if (afterMs <= 0) return;
    const now = Date.now();
    const ids = new Set<string>();
    for (const { subscriptionId: id, status } of outcomes)
      if (id !== undefined && (status === 'retrying' || status === 'failed') && (this.lastCheck.get(id) ?? 0) + DISABLE_CHECK_MS < now)
        ids.add(id);
    if (ids.size === 0) return;
    for (const id of ids) this.lastCheck.set(id, now);
    void this.disable([...ids], afterMs);
  }

  private async disable(ids: string[], afterMs: number): Promise<void> {
    try {
      for (const row of await this.subscriptions.disableFailing(ids, afterMs)) {
        const reason = row.disabled_reason ?? 'every delivery failed';
        this.logger.warn({ subscription_id: row.id, subscription: row.name, reason }, 'Subscription disabled');
        await this.alerts.subscriptionDisabled({ id: row.id, name: row.name, url: row.url, reason });
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not check failing subscriptions now');
    }
  }
}
