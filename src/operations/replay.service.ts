import { Inject, Injectable, Logger } from '@nestjs/common';
import { ValidationFailedError } from '../common/errors/app-errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DeliveryFilter, DeliveryPosition, DeliveryRepository } from '../outbox/delivery.repository';
import { canLeave, ReplayableStatus } from '../outbox/delivery-transitions';
import { DeliveryActionsService } from './delivery-actions.service';
import { ReplayDto, ReplayResponse } from './dto/replay.dto';
import { ReplayTooLargeError } from './operations.errors';

const BATCH = 500;

type ReplayFilter = DeliveryFilter & { status: ReplayableStatus };

/**
 * Re-sends events that already finished (same delivery id, so receivers can de-duplicate), by
 * id or by filter. A filter matching more than REPLAY_MAX_EVENTS is refused without `force`.
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
    const filtered = dto.event !== undefined || dto.since !== undefined || dto.until !== undefined || dto.status !== undefined;
    if (dto.ids && filtered)
      throw new ValidationFailedError([{ field: 'ids', errors: ['give either ids or a filter (event, since, until, status), not both'] }]);
    if (!dto.ids && dto.event === undefined && dto.since === undefined && dto.until === undefined)
      throw new ValidationFailedError([{ field: 'ids', errors: ['give ids, or a filter with at least one of event, since, until'] }]);
    return dto.ids
      ? this.replayIds([...new Set(dto.ids)], dto.force ?? false)
      : this.replayFilter({ status: dto.status ?? 'sent', event: dto.event, since: dto.since, until: dto.until }, dto.force ?? false);
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

  private async replayFilter(filter: ReplayFilter, force: boolean): Promise<ReplayResponse> {
    const n = await this.deliveries.count(filter);
    this.checkSize(n, force);
    let replayed = 0;
    let after: DeliveryPosition | undefined;
    for (;;) {
      const page = await this.deliveries.positions(filter, BATCH, after);
      const last = page[page.length - 1];
      if (!last) break;
      const { rows } = await this.actions.requeue(
        page.map((r) => r.id),
        'replay',
        [filter.status],
      );
      replayed += rows.length;
      after = last;
      if (page.length < BATCH) break;
    }
    this.logger.log({ replayed, matched: n, filter }, 'Operator replayed events by filter');
    return { replayed };
  }

  private checkSize(matched: number, force: boolean): void {
    const max = this.config.operations.replayMaxEvents;
    if (matched > max && !force) throw new ReplayTooLargeError(matched, max);
  }
}
