import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ConflictError } from '../../common/errors/app-errors';
import { EntityChanges, EntityCrudService } from '../common/entity-crud.service';
import { Lead } from './lead.entity';

/** Leads: the url is unique (a second lead with the same url is a `ConflictError`, 409). */
@Injectable()
export class LeadService extends EntityCrudService<Lead> {
  constructor(@InjectDataSource() dataSource: DataSource) {
    super(dataSource, Lead, 'Lead');
  }

  protected override async prepareWrite(manager: EntityManager, fields: EntityChanges<Lead>, current?: Lead): Promise<EntityChanges<Lead>> {
    if (fields.url !== undefined && fields.url !== current?.url) {
      const existing = await manager.findOne(Lead, { where: { url: fields.url }, select: { id: true } });
      if (existing) throw new ConflictError('A lead with this url already exists', { field: 'url', existing_id: existing.id });
    }
    return fields;
  }
}
