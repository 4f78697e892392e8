import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntitySubscriberInterface, InsertEvent, UpdateEvent } from 'typeorm';
import { Demo } from '../../domain/demos/demo.entity';
import { TriggerService } from '../trigger.service';
import { columnChange } from './status-transition';

/** status → completed / failed → demo_completed / demo_failed; approval_status → pending → approval_requested. */
@Injectable()
export class DemoSubscriber implements EntitySubscriberInterface<Demo> {
  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly triggers: TriggerService,
  ) {
    dataSource.subscribers.push(this);
  }

  listenTo() {
    return Demo;
  }

  afterInsert(event: InsertEvent<Demo>): Promise<void> {
    return this.raise(event);
  }

  afterUpdate(event: UpdateEvent<Demo>): Promise<void> {
    return this.raise(event);
  }

  private async raise(event: InsertEvent<Demo> | UpdateEvent<Demo>): Promise<void> {
    const demo = event.entity as Demo;
    const options = { manager: event.manager };
    const status = columnChange(event, 'status');
    if (status?.to === 'completed') await this.triggers.demoCompleted(demo, options);
    if (status?.to === 'failed') await this.triggers.demoFailed(demo, options);
    if (columnChange(event, 'approvalStatus')?.to === 'pending') await this.triggers.approvalRequested({ kind: 'demo', demo }, options);
  }
}
