import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { EntityChanges, EntityCrudService } from '../common/entity-crud.service';
import { assertLeadExists, assertSiblingExists } from '../common/references';
import { Video } from '../videos/video.entity';
import { OutreachEmail } from './outreach-email.entity';

export const MAX_EMAIL_ERROR_LENGTH = 10_000;

/**
 * Outreach emails belong to a lead (fixed at creation) and optionally present a video of that lead.
 * Status changes raise email_sent / email_failed through OutreachEmailSubscriber (src/triggers), in the same transaction.
 */
@Injectable()
export class OutreachEmailService extends EntityCrudService<OutreachEmail> {
  constructor(@InjectDataSource() dataSource: DataSource) {
    super(dataSource, OutreachEmail, 'OutreachEmail');
  }

  /** status → sent, stamped with the time (kept if it was already sent), error cleared. */
  markSent(id: string, manager?: EntityManager): Promise<OutreachEmail> {
    return this.modify(id, manager, (email) => {
      email.status = 'sent';
      email.sentAt ??= new Date();
      email.error = null;
    });
  }

  /** status → failed with the reason (truncated to 10,000 characters). */
  markFailed(id: string, error: string, manager?: EntityManager): Promise<OutreachEmail> {
    return this.modify(id, manager, (email) => {
      email.status = 'failed';
      email.error = error.slice(0, MAX_EMAIL_ERROR_LENGTH);
    });
  }

  protected override async prepareWrite(
    manager: EntityManager,
    fields: EntityChanges<OutreachEmail>,
    current?: OutreachEmail,
  ): Promise<EntityChanges<OutreachEmail>> {
    if (!current) await assertLeadExists(manager, fields.leadId);
    await assertSiblingExists(manager, Video, 'video_id', fields.videoId, fields.leadId ?? current?.leadId);
    const becomesSent = fields.status === 'sent' && fields.sentAt === undefined && !current?.sentAt;
    return becomesSent ? { ...fields, sentAt: new Date() } : fields;
  }
}
