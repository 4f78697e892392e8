import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ValidationFailedError } from '../common/errors/app-errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DeliveryActionsService } from './delivery-actions.service';
import { REPLAYABLE_STATUSES, ReplayableStatus, ReplayDto, ReplayResponse } from './dto/replay.dto';
import { ReplayTooLargeError } from './operations.errors';

const BATCH = 500;

interface ReplayFilter {
  status: ReplayableStatus;
  event?: string;
  since?: string;
  until?: string;
}

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
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly actions: DeliveryActionsService,
  ) {}

  async replay(dto: ReplayDto): Promise<ReplayResponse> {
    const filtered = dto.event !== undefined || dto.since !== undefined || dto.until !== undefined || dto.status !== undefined;
    if (dto.ids && filtered) throw new ValidationFailedError([{ field: 'ids', errors: ['give either ids or a filter (event, since, until, status), not both'] }]);
    if (!dto.ids && dto.event === undefined && dto.since === undefined && dto.until === undefined)
      throw new ValidationFailedError([{ field: 'ids', errors: ['give ids, or a filter with at least one of event, since, until'] }]);
    return dto.ids ? this.replayIds([...new Set(dto.ids)], dto.force ?? false) : this.replayFilter({ status: dto.status ?? 'sent', event: dto.event, since: dto.since, until: dto.until }, dto.force ?? false);
  }

  private async replayIds(ids: string[], force: boolean): Promise<ReplayResponse> {
    this.checkSize(ids.length, force);
    const rows: { id: string; status: string }[] = await this.dataSource.query(`SELECT id, status FROM webhook_queue WHERE id = ANY($1::uuid[])`, [ids]);
    const found = new Map(rows.map((r) => [r.id, r.status]));
    const replayable = ids.filter((id) => (REPLAYABLE_STATUSES as readonly string[]).includes(found.get(id) ?? ''));
    const { rows: replayed } = await this.actions.requeue(replayable, REPLAYABLE_STATUSES);
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
    const { sql, params } = whereOf(filter);
    const [{ n }] = await this.dataSource.query(`SELECT count(*)::int AS n FROM webhook_queue WHERE ${sql}`, params);
    this.checkSize(n, force);
    let replayed = 0;
    let after: [string, string] | undefined;
    for (;;) {
      const page: { id: string; at: string }[] = await this.dataSource.query(
        `SELECT id, created_at::text AS at FROM webhook_queue WHERE ${sql}
          ${after ? `AND (created_at, id) > ($${params.length + 1}::timestamptz, $${params.length + 2}::uuid)` : ''}
          ORDER BY created_at, id LIMIT ${BATCH}`,
        after ? [...params, ...after] : params,
      );
      if (page.length === 0) break;
      const { rows } = await this.actions.requeue(page.map((r) => r.id), [filter.status]);
      replayed += rows.length;
      const last = page[page.length - 1];
      after = [last.at, last.id];
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

function whereOf(filter: ReplayFilter): { sql: string; params: unknown[] } {
  const parts = ['status = $1::delivery_status'];
  const params: unknown[] = [filter.status];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    parts.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.event) add('event_type = ?', filter.event);
  if (filter.since) add('created_at >= ?::timestamptz', filter.since);
  if (filter.until) add('created_at < ?::timestamptz', filter.until);
  return { sql: parts.join(' AND '), params };
}
