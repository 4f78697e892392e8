import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardInstance, BullBoardModule, InjectBullBoard } from '@bull-board/nestjs';
import { DynamicModule, Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { AdminAuthModule } from '../../common/guards/admin-auth.module';
import { AuthFailureLimiter } from '../../common/guards/auth-failure-limiter.service';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { MAINTENANCE_QUEUE } from '../../queue/queue.constants';
import { QueueModule } from '../../queue/queue.module';
import { WebhookQueueService } from '../../queue/webhook-queue.service';
import { basicAuth } from './basic-auth.middleware';

export const BULL_BOARD_ROUTE = '/admin/queues';

/** Puts every delivery queue partition on the board (they are made by WebhookQueueService, not registered with Nest). */
@Injectable()
class DeliveryQueuesOnBoard implements OnModuleInit {
  constructor(
    @InjectBullBoard() private readonly board: BullBoardInstance,
    private readonly queues: WebhookQueueService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const options = { readOnlyMode: this.config.admin.bullBoardReadOnly };
    for (const queue of this.queues.partitions) this.board.addQueue(new BullMQAdapter(queue, options));
  }
}

@Module({ imports: [QueueModule], providers: [DeliveryQueuesOnBoard] })
class BullBoardDeliveryQueuesModule {}

/**
 * Bull Board at /admin/queues behind Basic auth (ADMIN_USER / ADMIN_PASSWORD, failures throttled
 * per address like the bearer token), showing every delivery queue partition and the maintenance queue. Mounted by the
 * API root; not at all (404) without both credentials.
 *
 * Read-only unless BULL_BOARD_READ_ONLY=false: Bull Board's own `readOnlyMode` on each queue
 * adapter, which hides the buttons and makes every write route of its API (clean, obliterate,
 * empty, add, retry, promote, pause, update data, …) answer 405. `webhook_queue` is the record
 * of every delivery; a mistaken obliterate should not be one click away behind a password.
 */
export function bullBoardImports(config: AppConfig): DynamicModule[] {
  const { user, password, bullBoardReadOnly } = config.admin;
  if (!user || !password) return [];
  const options = { readOnlyMode: bullBoardReadOnly };
  return [
    BullBoardModule.forRootAsync({
      imports: [AdminAuthModule],
      inject: [AuthFailureLimiter],
      useFactory: (limiter: AuthFailureLimiter) => ({
        route: BULL_BOARD_ROUTE,
        adapter: ExpressAdapter,
        middleware: basicAuth(user, password, limiter),
        boardOptions: { uiConfig: { boardTitle: 'n8n webhook bridge' } },
      }),
    }),
    BullBoardModule.forFeature({ name: MAINTENANCE_QUEUE, adapter: BullMQAdapter, options }),
    { module: BullBoardDeliveryQueuesModule },
  ];
}
