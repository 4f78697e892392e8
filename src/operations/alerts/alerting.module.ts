import { Module } from '@nestjs/common';
import { AlertService } from './alert.service';

/** Alerts about the bridge itself (failed-for-good deliveries, open circuits), sent as workflow_error events. */
@Module({
  providers: [AlertService],
  exports: [AlertService],
})
export class AlertingModule {}
