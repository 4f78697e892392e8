import { Module } from '@nestjs/common';
import { TriggersModule } from '../triggers/triggers.module';
import { AlertService } from './alert.service';

/** Alerts about the bridge itself (failed-for-good deliveries, open circuits), sent as workflow_error events. */
@Module({
  imports: [TriggersModule],
  providers: [AlertService],
  exports: [AlertService],
})
export class AlertingModule {}
