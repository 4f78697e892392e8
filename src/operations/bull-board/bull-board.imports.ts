import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import type { DynamicModule } from '@nestjs/common';
import { AppConfig, runsApi } from '../../config/app-config';
import { DELIVERY_QUEUE, MAINTENANCE_QUEUE } from '../../queue/queue.constants';
import { basicAuth } from './basic-auth.middleware';

export const BULL_BOARD_ROUTE = '/admin/queues';

/**
 * Bull Board at /admin/queues behind Basic auth (ADMIN_USER / ADMIN_PASSWORD), showing the
 * delivery and maintenance queues. Not mounted at all (404) without both credentials, nor in
 * the worker role (no HTTP server there).
 */
export function bullBoardImports(config: AppConfig): DynamicModule[] {
  const { user, password } = config.admin;
  if (!runsApi(config) || !user || !password) return [];
  return [
    BullBoardModule.forRoot({
      route: BULL_BOARD_ROUTE,
      adapter: ExpressAdapter,
      middleware: basicAuth(user, password),
      boardOptions: { uiConfig: { boardTitle: 'n8n webhook bridge' } },
    }),
    BullBoardModule.forFeature({ name: DELIVERY_QUEUE, adapter: BullMQAdapter }, { name: MAINTENANCE_QUEUE, adapter: BullMQAdapter }),
  ];
}
