import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntitySubscriberInterface, UpdateEvent } from 'typeorm';
import { OutreachEmail } from '../../domain/emails/outreach-email.entity';
import { TriggerService } from '../trigger.service';
import { columnChange } from './status-transition';

/**
 * status → sent / failed → email_sent / email_failed (markSent, markFailed, PATCH). Updates only:
 * an email inserted with a final status raises nothing.
 */
@Injectable()
export class OutreachEmailSubscriber implements EntitySubscriberInterface<OutreachEmail> {
  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly triggers: TriggerService,
  ) {
    dataSource.subscribers.push(this);
  }

  listenTo() {
    return OutreachEmail;
  }

  async afterUpdate(event: UpdateEvent<OutreachEmail>): Promise<void> {
    const change = columnChange(event, 'status');
    if (!change) return;
    const email = event.entity as OutreachEmail;
    const options = { manager: event.manager };
    if (change.to === 'sent') await this.triggers.emailSent(email, options);
    if (change.to === 'failed') await this.triggers.emailFailed(email, options);
  }
}
