import { Body, Get, HttpCode, Logger, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { AdminApiController } from '../domain/common/admin-api.decorators';
import { WebhookQueueService } from '../queue/webhook-queue.service';
import { CleanupService } from './cleanup.service';
import { CleanupDto, CleanupResponse } from './dto/cleanup.dto';
import { ReplayDto, ReplayResponse } from './dto/replay.dto';
import { PauseResponse, QueueStatsResponse } from './dto/stats.response';
import { QueueStatsService } from './queue-stats.service';
import { ReplayService } from './replay.service';

/** Queue-wide operations: `/api/v1/webhooks/queue/{stats,pause,resume,replay,cleanup}` (bearer ADMIN_TOKEN). */
@AdminApiController('webhooks/queue', 'operations')
export class QueueController {
  private readonly logger = new Logger(QueueController.name);

  constructor(
    private readonly stats: QueueStatsService,
    private readonly queue: WebhookQueueService,
    private readonly replays: ReplayService,
    private readonly cleanups: CleanupService,
  ) {}

  @Get('stats')
  @ApiOperation({
    summary:
      'Counts by state (BullMQ and webhook_queue), per event type, oldest undelivered age, recent throughput, pause and circuit states',
  })
  @ApiOkResponse({ type: QueueStatsResponse })
  getStats(): Promise<QueueStatsResponse> {
    return this.stats.stats();
  }

  @Post('pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop every worker process from taking new deliveries; in-flight ones finish' })
  @ApiOkResponse({ type: PauseResponse })
  async pause(): Promise<PauseResponse> {
    await this.queue.pause();
    this.logger.warn('Operator paused deliveries');
    return { paused: await this.queue.isPaused() };
  }

  @Post('resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Let the workers take deliveries again' })
  @ApiOkResponse({ type: PauseResponse })
  async resume(): Promise<PauseResponse> {
    await this.queue.resume();
    this.logger.warn('Operator resumed deliveries');
    return { paused: await this.queue.isPaused() };
  }

  @Post('replay')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send finished events again (same delivery id), by ids or by filter' })
  @ApiOkResponse({ type: ReplayResponse })
  @ApiUnprocessableEntityResponse({ description: 'replay_too_large: the filter matches more than REPLAY_MAX_EVENTS; send force: true' })
  replay(@Body() dto: ReplayDto): Promise<ReplayResponse> {
    return this.replays.replay(dto);
  }

  @Post('cleanup')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Delete sent and cancelled (and optionally failed) events older than N days with their history and outgoing logs, and incoming logs and callback idempotency keys older than N days',
  })
  @ApiOkResponse({ type: CleanupResponse })
  cleanup(@Body() dto: CleanupDto): Promise<CleanupResponse> {
    return this.cleanups.cleanup({ olderThanDays: dto.older_than_days, includeFailed: dto.include_failed ?? false });
  }
}
