import { Module } from '@nestjs/common';
import { OutboxModule } from '../outbox/outbox.module';
import { DemoSubscriber } from './subscribers/demo.subscriber';
import { LeadSubscriber } from './subscribers/lead.subscriber';
import { OutreachEmailSubscriber } from './subscribers/outreach-email.subscriber';
import { VideoSubscriber } from './subscribers/video.subscriber';
import { TriggerService } from './trigger.service';

/**
 * Where events are born: TypeORM subscribers on leads, demos, videos and outreach emails, and
 * TriggerService for services (callbacks, alerts). Every root imports it: the subscribers must be
 * registered wherever domain rows are written.
 */
@Module({
  imports: [OutboxModule],
  providers: [TriggerService, LeadSubscriber, DemoSubscriber, VideoSubscriber, OutreachEmailSubscriber],
  exports: [TriggerService],
})
export class TriggersModule {}
