import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntitySubscriberInterface, InsertEvent, UpdateEvent } from 'typeorm';
import { Lead } from '../../domain/leads/lead.entity';
import { TriggerService } from '../trigger.service';
import { columnChange } from './status-transition';

/** lead inserted → lead_scraped; status → qualified → lead_qualified; status → responded → lead_responded. */
@Injectable()
export class LeadSubscriber implements EntitySubscriberInterface<Lead> {
  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly triggers: TriggerService,
  ) {
    dataSource.subscribers.push(this);
  }

  listenTo() {
    return Lead;
  }

  async afterInsert(event: InsertEvent<Lead>): Promise<void> {
    await this.triggers.leadScraped(event.entity, { manager: event.manager });
  }

  async afterUpdate(event: UpdateEvent<Lead>): Promise<void> {
    const change = columnChange(event, 'status');
    if (!change) return;
    const lead = event.entity as Lead;
    const options = { manager: event.manager };
    if (change.to === 'qualified') await this.triggers.leadQualified(lead, change.from, options);
    if (change.to === 'responded') await this.triggers.leadResponded(lead, change.from, options);
  }
}
