import { Global, Module } from '@nestjs/common';
import { OutboxModule } from '../outbox/outbox.module';
import { DemoSubscriber } from './subscribers/demo.subscriber';
import { LeadSubscriber } from './subscribers/lead.subscriber';
import { VideoSubscriber } from './subscribers/video.subscriber';
import { TriggerService } from './trigger.service';

/** Where events are born: TypeORM subscribers on leads, demos and videos, and TriggerService for services. */
@Global()
@Module({
  imports: [OutboxModule],
  providers: [TriggerService, LeadSubscriber, DemoSubscriber, VideoSubscriber],
  exports: [TriggerService],
})
export class TriggersModule {}
