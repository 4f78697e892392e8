import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Demo } from '../demos/demo.entity';
import { EntityChanges, EntityCrudService } from '../common/entity-crud.service';
import { assertLeadExists, assertSiblingExists } from '../common/references';
import { Video } from './video.entity';

/** Videos belong to a lead (fixed at creation) and optionally to a demo of that lead. */
@Injectable()
export class VideoService extends EntityCrudService<Video> {
  constructor(@InjectDataSource() dataSource: DataSource) {
    super(dataSource, Video, 'Video');
  }

  protected override async prepareWrite(
    manager: EntityManager,
    fields: EntityChanges<Video>,
    current?: Video,
  ): Promise<EntityChanges<Video>> {
    if (!current) await assertLeadExists(manager, fields.leadId);
    await assertSiblingExists(manager, Demo, 'demo_id', fields.demoId, fields.leadId ?? current?.leadId);
    return fields;
  }
}
