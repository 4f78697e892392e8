import { Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminApiController, ApiById, IdParam } from '../domain/common/admin-api.decorators';
import { DeliveryActionsService } from './delivery-actions.service';
import { DeliveryQueryService } from './delivery-query.service';
import { DeliveryDetail, DeliveryPage, DeliverySummary } from './dto/delivery.response';
import { ListDeliveriesQuery } from './dto/list-deliveries.query';

/** One outgoing event at a time: `/api/v1/webhooks/queue/deliveries[/:id[/retry|/cancel]]` (bearer ADMIN_TOKEN). */
@AdminApiController('webhooks/queue/deliveries', 'operations')
export class DeliveriesController {
  constructor(
    private readonly query: DeliveryQueryService,
    private readonly actions: DeliveryActionsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Outgoing events, newest first, filtered and keyset-paginated' })
  @ApiOkResponse({ type: DeliveryPage })
  list(@Query() query: ListDeliveriesQuery): Promise<DeliveryPage> {
    return this.query.list(query);
  }

  @Get(':id')
  @ApiById()
  @ApiOperation({ summary: 'One event with its payload, every attempt (history and audit log) and its BullMQ state' })
  @ApiOkResponse({ type: DeliveryDetail })
  get(@IdParam() id: string): Promise<DeliveryDetail> {
    return this.query.get(id);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiById()
  @ApiOperation({ summary: 'Queue a failed or cancelled event again (same delivery id, attempts reset)' })
  @ApiOkResponse({ type: DeliverySummary })
  @ApiConflictResponse({ description: 'conflict: the event is not failed or cancelled' })
  retry(@IdParam() id: string): Promise<DeliverySummary> {
    return this.actions.retry(id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiById()
  @ApiOperation({ summary: 'Take a pending, queued or retrying event out of the queue for good' })
  @ApiOkResponse({ type: DeliverySummary })
  @ApiConflictResponse({ description: 'conflict: already sent, finished, or being sent right now' })
  cancel(@IdParam() id: string): Promise<DeliverySummary> {
    return this.actions.cancel(id);
  }
}
