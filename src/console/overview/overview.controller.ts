import { Get, Logger, Post, Query, Redirect } from '@nestjs/common';
import { WebhookQueueService } from '../../queue/webhook-queue.service';
import { CurrentSession } from '../auth/console-request';
import type { ConsoleSession } from '../auth/console-sessions';
import { ConsoleController, frameOf } from '../console-controller.decorator';
import { ConsoleViews } from '../render/console-views';
import { overviewView } from './overview.presenter';
import { OverviewReader } from './overview.reader';

const NOTICES: Record<string, string> = {
  paused: 'Deliveries are paused: workers take no new delivery; those in flight finish.',
  resumed: 'Deliveries resumed.',
};

/** `/console`: the last hour at a glance, and pause / resume (as POST /api/v1/webhooks/queue/pause and /resume do). */
@ConsoleController()
export class OverviewController {
  private readonly logger = new Logger(OverviewController.name);

  constructor(
    private readonly reader: OverviewReader,
    private readonly queue: WebhookQueueService,
    private readonly views: ConsoleViews,
  ) {}

  @Get()
  async overview(@CurrentSession() session: ConsoleSession, @Query('notice') notice?: string): Promise<string> {
    const view = overviewView(await this.reader.read());
    return this.views.render('overview', frameOf(session, 'Overview', 'overview', { notice: notice ? NOTICES[notice] : undefined }), {
      ...view,
      csrf: session.csrf,
    });
  }

  @Post('queue/pause')
  @Redirect('/console?notice=paused', 303)
  async pause(@CurrentSession() session: ConsoleSession): Promise<void> {
    await this.queue.pause();
    this.logger.warn({ user: session.user }, 'Operator paused deliveries (console)');
  }

  @Post('queue/resume')
  @Redirect('/console?notice=resumed', 303)
  async resume(@CurrentSession() session: ConsoleSession): Promise<void> {
    await this.queue.resume();
    this.logger.warn({ user: session.user }, 'Operator resumed deliveries (console)');
  }
}
