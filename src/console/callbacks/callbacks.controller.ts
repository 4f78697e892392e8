import { Get, Query } from '@nestjs/common';
import { WebhookLogRepository } from '../../audit/webhook-log.repository';
import { ValidationFailedError } from '../../common/errors/app-errors';
import { decodeCursor, encodeCursor } from '../../operations/delivery-cursor';
import { CurrentSession } from '../auth/console-request';
import type { ConsoleSession } from '../auth/console-sessions';
import { ConsoleController, frameOf } from '../console-controller.decorator';
import { ConsoleViews } from '../render/console-views';
import { callbacksView, isOutcomeFilter, OUTCOME_FILTERS } from './callbacks.presenter';

const PAGE = 50;

/**
 * `/console/callbacks`: requests n8n (or anyone) sent to the callback endpoints, accepted and
 * refused, with the refusal reason (signature_mismatch, timestamp_out_of_tolerance…) and the
 * source address: the audit trail's incoming rows, newest first, keyset-paginated.
 */
@ConsoleController('callbacks')
export class CallbacksController {
  constructor(
    private readonly logs: WebhookLogRepository,
    private readonly views: ConsoleViews,
  ) {}

  @Get()
  async list(
    @CurrentSession() session: ConsoleSession,
    @Query('outcome') outcome?: string,
    @Query('cursor') cursor?: string,
  ): Promise<string> {
    const filter = isOutcomeFilter(outcome) ? outcome : undefined;
    const before = cursor ? decodeCursor(cursor) : undefined;
    if (cursor && !before) throw new ValidationFailedError([{ field: 'cursor', errors: ['cursor is not one this page issued'] }]);
    const rows = await this.logs.listIncoming({ outcomes: filter ? OUTCOME_FILTERS[filter] : undefined, before }, PAGE + 1);
    const page = rows.slice(0, PAGE);
    const last = page[page.length - 1];
    const next = rows.length > PAGE && last ? encodeCursor({ createdAt: last.cursor_at, id: last.id }) : undefined;
    return this.views.render('callbacks', frameOf(session, 'Callbacks', 'callbacks'), callbacksView(page, filter, next));
  }
}
