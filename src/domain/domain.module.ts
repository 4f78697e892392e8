import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminAuthModule } from '../common/guards/admin-auth.module';
import { DemoController } from './demos/demo.controller';
import { Demo } from './demos/demo.entity';
import { DemoService } from './demos/demo.service';
import { OutreachEmailController } from './emails/outreach-email.controller';
import { OutreachEmail } from './emails/outreach-email.entity';
import { OutreachEmailService } from './emails/outreach-email.service';
import { LeadController } from './leads/lead.controller';
import { Lead } from './leads/lead.entity';
import { LeadService } from './leads/lead.service';
import { VideoController } from './videos/video.controller';
import { Video } from './videos/video.entity';
import { VideoService } from './videos/video.service';
import { WorkflowExecution } from './workflow-executions/workflow-execution.entity';

const SERVICES = [LeadService, DemoService, VideoService, OutreachEmailService];

/**
 * The lead-generation domain: entities, their services (transactional writes) and the internal REST API `/api/v1/*`.
 * The events its writes raise are born in triggers (TypeORM subscribers), which imports domain, never the reverse.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Lead, Demo, Video, OutreachEmail, WorkflowExecution]), AdminAuthModule],
  controllers: [LeadController, DemoController, VideoController, OutreachEmailController],
  providers: SERVICES,
  exports: [TypeOrmModule, ...SERVICES],
})
export class DomainModule {}
