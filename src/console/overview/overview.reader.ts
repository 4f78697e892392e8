import { Injectable } from '@nestjs/common';
import { ALERT_WORKFLOW_ID } from '../../alerts/alert.service';
import { AttemptMinute, RetryHistoryRepository } from '../../audit/retry-history.repository';
import { DeliveryRepository } from '../../outbox/delivery.repository';
import { IN_QUEUE } from '../../outbox/delivery-transitions';
import { DeliveryQueryService } from '../../operations/delivery-query.service';
import { DeliveryDetail } from '../../operations/dto/delivery.response';
import { ListDeliveriesQuery } from '../../operations/dto/list-deliveries.query';
import { QueueStatsResponse } from '../../operations/dto/stats.response';
import { QueueStatsService } from '../../operations/queue-stats.service';
import { SubscriptionResponse } from '../../operations/subscriptions/dto/subscription.response';
import { SubscriptionsService } from '../../operations/subscriptions/subscriptions.service';

export const OVERVIEW_MINUTES = 60;
const RECENT_ALERTS = 5;

export interface SubscriptionCounts {
  subscription: SubscriptionResponse;
  sentLastHour: number;
  failedLastHour: number;
  inQueue: number;
}

export interface OverviewData {
  stats: QueueStatsResponse;
  attempts: AttemptMinute[];
  backlog: { minute: Date; backlog: number }[];
  subscriptions: SubscriptionCounts[];
  alerts: DeliveryDetail[];
}

/**
 * Everything the overview shows, read through the owners the JSON API uses: QueueStatsService
 * (GET /queue/stats), the retry history and the deliveries (per minute, per subscription),
 * SubscriptionsService, and the alerts as DeliveryQueryService lists them (workflow_error events
 * the bridge raised about itself).
 */
@Injectable()
export class OverviewReader {
  constructor(
    private readonly stats: QueueStatsService,
    private readonly history: RetryHistoryRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly query: DeliveryQueryService,
    private readonly subscriptions: SubscriptionsService,
  ) {}

  async read(): Promise<OverviewData> {
    const [stats, attempts, backlog, subscriptions, alerts] = await Promise.all([
      this.stats.stats(),
      this.history.perMinute(OVERVIEW_MINUTES),
      this.deliveries.backlogPerMinute(OVERVIEW_MINUTES),
      this.subscriptionCounts(),
      this.recentAlerts(),
    ]);
    return { stats, attempts, backlog, subscriptions, alerts };
  }

  private async subscriptionCounts(): Promise<SubscriptionCounts[]> {
    const since = new Date(Date.now() - OVERVIEW_MINUTES * 60_000).toISOString();
    const subscriptions = await this.subscriptions.list();
    return Promise.all(
      subscriptions.map(async (subscription) => {
        const subscriptionId = subscription.id;
        const [sentLastHour, failedLastHour, inQueue] = await Promise.all([
          this.deliveries.count({ subscriptionId, status: 'sent', since }),
          this.deliveries.count({ subscriptionId, status: 'failed', since }),
          this.deliveries.count({ subscriptionId, statuses: IN_QUEUE }),
        ]);
        return { subscription, sentLastHour, failedLastHour, inQueue };
      }),
    );
  }

  private async recentAlerts(): Promise<DeliveryDetail[]> {
    const page = await this.query.list(
      Object.assign(new ListDeliveriesQuery(), { event: 'workflow_error', entity_id: ALERT_WORKFLOW_ID, limit: RECENT_ALERTS }),
    );
    return Promise.all(page.items.map((item) => this.query.get(item.id)));
  }
}
