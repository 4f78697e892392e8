import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, DeepPartial, EntityManager } from 'typeorm';
import { ConflictError } from '../../common/errors/app-errors';
import { EntityChanges, EntityCrudService } from '../common/entity-crud.service';
import { Lead } from './lead.entity';

/** Leads: the url is unique (a second lead with the same url is a `ConflictError`, 409, naming the existing lead). */
@Injectable()
export class LeadService extends EntityCrudService<Lead> {
  constructor(@InjectDataSource() dataSource: DataSource) {
    super(dataSource, Lead, 'Lead');
  }

  /**
   * In its own transaction the INSERT goes first and the unique index answers a duplicate url
   * (the lookup of the existing lead happens only then): one round trip less per created lead.
   * Inside a caller's transaction the url is checked first, because a failed INSERT would abort
   * the caller's whole transaction.
   */
  override async create(fields: EntityChanges<Lead>, manager?: EntityManager): Promise<Lead> {
    if (manager?.queryRunner?.isTransactionActive) return super.create(fields, manager);
    try {
      return await this.transaction(manager, (m) => m.save(m.create(Lead, fields as DeepPartial<Lead>)));
    } catch (error) {
      if (error instanceof ConflictError && fields.url !== undefined) throw await this.duplicateUrl(fields.url, manager);
      throw error;
    }
  }

  protected override async prepareWrite(manager: EntityManager, fields: EntityChanges<Lead>, current?: Lead): Promise<EntityChanges<Lead>> {
    if (fields.url !== undefined && fields.url !== current?.url) {
      const existing = await manager.findOne(Lead, { where: { url: fields.url }, select: { id: true } });
      if (existing) throw new ConflictError('A lead with this url already exists', { field: 'url', existing_id: existing.id });
    }
    return fields;
  }

  private async duplicateUrl(url: string, manager: EntityManager = this.dataSource.manager): Promise<ConflictError> {
    const existing = await manager.findOne(Lead, { where: { url }, select: { id: true } });
    return new ConflictError('A lead with this url already exists', { field: 'url', ...(existing && { existing_id: existing.id }) });
  }
}
