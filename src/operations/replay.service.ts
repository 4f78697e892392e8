import { Inject, Injectable, Logger } from '@nestjs/common';
import { ValidationFailedError } from '../common/errors/app-errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DeliveryFilter, DeliveryPosition, DeliveryRepository } from '../outbox/delivery.repository';
import { canLeave, ReplayableStatus } from '../outbox/delivery-transitions';
import { DeliveryActionsService } from './delivery-actions.service';
import { ReplayDto, ReplayResponse } from './dto/replay.dto';
import { ReplayTooLargeError } from './operations.errors';

const BATCH = 500;

/**
 * Re-sends events that already finished (same delivery id, so receivers can de-duplicate), by
 * id or by filter; a subscription's recover is a filtered replay of its failed and cancelled
 * deliveries. A filter matching more than REPLAY_MAX_EVENTS is refused without `force`.
 * Rows are walked in (created_at, id) order in batches, so each matching row is replayed once
 * even while earlier batches are already being delivered again.
 */
@Injectable()
export class ReplayService {
  private readonly logger = new Logger(ReplayService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly deliveries: DeliveryRepository,
    private readonly actions: DeliveryActionsService,
  ) {}

  async replay(dto: ReplayDto): Promise<ReplayResponse> {
    const narrowing = [dto.event, dto.since, dto.until, dto.subscription_id].some((v) => v !== undefined);
    if (dto.ids && (narrowing || dto.status !== undefined))
      throw new ValidationFailedError([
        { field: 'ids', errors: ['give either ids or a filter (event, since, until, subscription_id, status), not both'] },
      ]);
    if (!dto.ids && !narrowing)
      throw new ValidationFailedError([
        { field: 'ids', errors: ['give ids, or a filter with at least one of event, since, until, subscription_id'] },
      ]);
    if (dto.ids) return this.replayIds([...new Set(dto.ids)], dto.force ?? false);
    const filter = { event: dto.event, since: dto.since, until: dto.until, subscriptionId: dto.subscription_id };
    const replayed = await this.replayMatching(filter, [dto.status ?? 'sent'], dto.force ?? false);
    return { replayed };
  }

  /**
   * Re-sends every delivery matching `filter` whose status is one of `statuses` (same ids), and
   * answers how many went back to the queue. Counted first: more than REPLAY_MAX_EVENTS without
   * `force` is a ReplayTooLargeError and nothing changes. Used by the filtered replay and by a
   * subscription's recover.
   */
  async replayMatching(filter: DeliveryFilter, statuses: readonly ReplayableStatus[], force: boolean): Promise<number> {
    const matching: DeliveryFilter = { ...filter, statuses };
    const n = await this.deliveries.count(matching);
    this.checkSize(n, force);
    let replayed = 0;
    let after: DeliveryPosition | undefined;
    for (;;) {
      const page = await this.deliveries.positions(matching, BATCH, after);
      const last = page[page.length - 1];
      if (!last) break;
      const { rows } = await this.actions.requeue(
        page.map((r) => r.id),
        'replay',
        statuses,
      );
      replayed += rows.length;
      after = last;
      if (page.length < BATCH) break;
    }
    this.logger.log({ replayed, matched: n, filter: matching }, 'Operator replayed events by filter');
    return replayed;
  }

  private async replayIds(ids: string[], force: boolean): Promise<ReplayResponse> {
    this.checkSize(ids.length, force);
    const found = await this.deliveries.statusesOf(ids);
    const replayable = ids.filter((id) => {
      const status = found.get(id);
      return status !== undefined && canLeave('replay', status);
    });
    const { rows: replayed } = await this.actions.requeue(replayable, 'replay');
    const done = new Set(replayed.map((r) => r.id));
    this.logger.log({ replayed: done.size, requested: ids.length }, 'Operator replayed events by id');
    return {
      replayed: done.size,
      not_found: ids.filter((id) => !found.has(id)),
      // Not finished (pending, queued, retrying, sending), or its old job is still finishing.
      skipped: ids.filter((id) => found.has(id) && !done.has(id)),
    };
  }

  private checkSize(matched: number, force: boolean): void {
    const max = this.config.operations.replayMaxEvents;
    if (matched > max && !force) throw new ReplayTooLargeError(matched, max);
  }
}
