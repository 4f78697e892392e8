import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Demo } from './demos/demo.entity';
import { OutreachEmail } from './emails/outreach-email.entity';
import { Lead } from './leads/lead.entity';
import { Video } from './videos/video.entity';
import { WorkflowExecution } from './workflow-executions/workflow-execution.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Lead, Demo, Video, OutreachEmail, WorkflowExecution])],
  exports: [TypeOrmModule],
})
export class DomainModule {}
