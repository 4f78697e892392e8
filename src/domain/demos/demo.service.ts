import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { EntityChanges, EntityCrudService } from '../common/entity-crud.service';
import { assertLeadExists } from '../common/references';
import { Demo } from './demo.entity';

/** Demos belong to a lead, fixed at creation. */
@Injectable()
export class DemoService extends EntityCrudService<Demo> {
  constructor(@InjectDataSource() dataSource: DataSource) {
    super(dataSource, Demo, 'Demo');
  }

  protected override async prepareWrite(manager: EntityManager, fields: EntityChanges<Demo>, current?: Demo): Promise<EntityChanges<Demo>> {
    if (!current) await assertLeadExists(manager, fields.leadId);
    return fields;
  }
}
