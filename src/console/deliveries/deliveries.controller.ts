import { Get, Param, ParseUUIDPipe, Post, Query, Redirect } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { EntityNotFoundError } from '../../common/errors/app-errors';
import { DeliveryActionsService } from '../../operations/delivery-actions.service';
import { DeliveryQueryService } from '../../operations/delivery-query.service';
import { ListDeliveriesQuery } from '../../operations/dto/list-deliveries.query';
import { ReplayDto } from '../../operations/dto/replay.dto';
import { ReplayService } from '../../operations/replay.service';
import { SubscriptionsService } from '../../operations/subscriptions/subscriptions.service';
import { CurrentSession } from '../auth/console-request';
import type { ConsoleSession } from '../auth/console-sessions';
import { ConsoleController, frameOf } from '../console-controller.decorator';
import { ConsoleViews } from '../render/console-views';
import { deliveriesView, deliveryRow, DeliveryRowView } from './deliveries.presenter';
import { parseDeliveryFilter } from './delivery-filter';
import { journeyView } from './journey.presenter';
import { JourneyReader } from './journey.reader';

const NOTICES: Record<string, string> = {
  retried: 'Retry queued: the delivery goes out again with the same id.',
  cancelled: 'Cancelled: this delivery will not be sent.',
  replayed: 'Replay queued: the delivery goes out again with the same id.',
  'replay-skipped': 'Not replayed: the delivery is not finished, or its previous job is still finishing.',
};

/** A malformed id names no delivery: 404, as for an unknown one. */
const deliveryId = new ParseUUIDPipe({ exceptionFactory: () => new EntityNotFoundError('delivery', 'with this id') });

/**
 * `/console/deliveries` (filtered, keyset-paginated, refreshed live by console.js from
 * `/console/api/deliveries`), `/console/search`, and one delivery's journey with retry, cancel and
 * replay: the same services as the JSON API's deliveries routes.
 */
@ConsoleController()
export class DeliveriesController {
  constructor(
    private readonly query: DeliveryQueryService,
    private readonly actions: DeliveryActionsService,
    private readonly replays: ReplayService,
    private readonly subscriptions: SubscriptionsService,
    private readonly journeys: JourneyReader,
    private readonly views: ConsoleViews,
  ) {}

  @Get('deliveries')
  async list(@CurrentSession() session: ConsoleSession, @Query() params: Record<string, unknown>): Promise<string> {
    const { form, query, errors } = parseDeliveryFilter(params);
    const subscriptions = await this.subscriptions.list();
    const names = new Map(subscriptions.map((s) => [s.id, s.name]));
    const page = errors.length ? { items: [], next_cursor: null } : await this.query.list(query);
    const searched = typeof params.searched === 'string' ? params.searched.slice(0, 200) : undefined;
    const view = deliveriesView({
      form,
      errors,
      rows: page.items.map((d) => deliveryRow(d, names)),
      nextCursor: page.next_cursor,
      subscriptions,
      searched,
    });
    return this.views.render('deliveries', frameOf(session, 'Deliveries', 'deliveries', { query: searched }), view);
  }

  /** The first page of a filter as JSON, for the live table. */
  @Get('api/deliveries')
  async listJson(@Query() params: Record<string, unknown>): Promise<{ rows: DeliveryRowView[]; generated_at: string }> {
    const { query, errors } = parseDeliveryFilter({ ...params, cursor: undefined });
    const [page, subscriptions] = await Promise.all([
      errors.length ? Promise.resolve({ items: [] }) : this.query.list(query),
      this.subscriptions.list(),
    ]);
    const names = new Map(subscriptions.map((s) => [s.id, s.name]));
    return { rows: page.items.map((d) => deliveryRow(d, names)), generated_at: new Date().toISOString() };
  }

  /** The search box: a delivery id, or an event id with one delivery, opens the journey; an event id with several lists them; anything else filters by entity id. */
  @Get('search')
  @Redirect('/console/deliveries', 303)
  async search(@Query('q') q?: string): Promise<{ url: string }> {
    const term = (typeof q === 'string' ? q : '').trim().slice(0, 200);
    if (term === '') return { url: '/console/deliveries' };
    if (isUUID(term)) {
      const found = await this.query.get(term.toLowerCase()).then(
        (d) => d,
        (error: unknown) => {
          if (error instanceof EntityNotFoundError) return undefined;
          throw error;
        },
      );
      if (found) return { url: `/console/deliveries/${found.id}` };
      // An event id: the event's deliveries (one per subscription).
      const { items } = await this.query.list(Object.assign(new ListDeliveriesQuery(), { event_id: term.toLowerCase(), limit: 2 }));
      const [only, other] = items;
      if (only && !other) return { url: `/console/deliveries/${only.id}` };
      if (only) return { url: `/console/deliveries?${new URLSearchParams({ event_id: term, searched: term }).toString()}` };
    }
    return { url: `/console/deliveries?${new URLSearchParams({ entity_id: term, searched: term }).toString()}` };
  }

  @Get('deliveries/:id')
  async journey(
    @CurrentSession() session: ConsoleSession,
    @Param('id', deliveryId) id: string,
    @Query('notice') notice?: string,
  ): Promise<string> {
    const [data, subscriptions] = await Promise.all([this.journeys.read(id), this.subscriptions.list()]);
    const names = new Map(subscriptions.map((s) => [s.id, s.name]));
    const frame = frameOf(session, `Delivery ${id.slice(0, 8)}`, 'deliveries', { notice: notice ? NOTICES[notice] : undefined });
    return this.views.render('journey', frame, journeyView(data, names, session.csrf));
  }

  @Post('deliveries/:id/retry')
  @Redirect(undefined, 303)
  async retry(@Param('id', deliveryId) id: string): Promise<{ url: string }> {
    await this.actions.retry(id);
    return { url: `/console/deliveries/${id}?notice=retried` };
  }

  @Post('deliveries/:id/cancel')
  @Redirect(undefined, 303)
  async cancel(@Param('id', deliveryId) id: string): Promise<{ url: string }> {
    await this.actions.cancel(id);
    return { url: `/console/deliveries/${id}?notice=cancelled` };
  }

  @Post('deliveries/:id/replay')
  @Redirect(undefined, 303)
  async replay(@Param('id', deliveryId) id: string): Promise<{ url: string }> {
    await this.query.get(id); // 404 for an unknown id, as retry and cancel answer
    const result = await this.replays.replay(Object.assign(new ReplayDto(), { ids: [id] }));
    return { url: `/console/deliveries/${id}?notice=${result.replayed ? 'replayed' : 'replay-skipped'}` };
  }
}
