import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, DeepPartial, EntityManager, QueryFailedError } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { MicroBatcher } from '../../common/batching/micro-batcher';
import { AppError, ConflictError } from '../../common/errors/app-errors';
import { pgErrorCode } from '../../database/postgres-errors';
import { EntityChanges, EntityCrudService } from '../common/entity-crud.service';
import { Lead } from './lead.entity';

/** Creates of concurrent requests written in one transaction at most (see LeadService.create). */
const CREATE_BATCH = 64;

/** Leads: the url is unique (a second lead with the same url is a `ConflictError`, 409, naming the existing lead). */
@Injectable()
export class LeadService extends EntityCrudService<Lead> {
  /**
   * Group commit of creates made outside a caller's transaction (the REST API: one lead per
   * request): the leads of concurrent requests go in one transaction, one multi-row INSERT and
   * their events with them, instead of a transaction of four round trips each. A batch a lead
   * makes fail (a duplicate url, a value Postgres refuses) is split in halves down to that lead
   * alone, which gets its own error: the others are written as if they had come one by one.
   */
  private readonly creates = new MicroBatcher<EntityChanges<Lead>, Lead>((items) => this.insertAll(items), {
    maxBatch: CREATE_BATCH,
    concurrency: 2,
    splitOn: (error) => (error instanceof AppError && error.status < 500) || isRowError(error),
  });

  /** As `save` leaves them: a nullable column without a default that was not given is null (the API and the event show it). */
  private readonly nullWhenUnset: ColumnMetadata[];

  constructor(@InjectDataSource() dataSource: DataSource) {
    super(dataSource, Lead, 'Lead');
    this.nullWhenUnset = dataSource
      .getMetadata(Lead)
      .columns.filter((c) => c.isNullable && c.default === undefined && !c.isGenerated && !c.isCreateDate && !c.isUpdateDate);
  }

  /**
   * Outside a transaction the INSERT goes first (grouped with concurrent creates) and the unique
   * index answers a duplicate url (the lookup of the existing lead happens only then): no
   * lookup per created lead. Inside a caller's transaction the url is checked first, because a
   * failed INSERT would abort the caller's whole transaction.
   */
  override async create(fields: EntityChanges<Lead>, manager?: EntityManager): Promise<Lead> {
    if (manager?.queryRunner?.isTransactionActive) return super.create(fields, manager);
    try {
      return await this.creates.submit(fields);
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

  /** One transaction: one INSERT … RETURNING for every lead (the subscribers record each one's event), then COMMIT. */
  private insertAll(items: EntityChanges<Lead>[]): Promise<Lead[]> {
    return this.transaction(undefined, async (m) => {
      const leads = items.map((fields) => {
        const lead = m.create(Lead, fields as DeepPartial<Lead>);
        for (const column of this.nullWhenUnset) if (column.getEntityValue(lead) === undefined) column.setEntityValue(lead, null);
        return lead;
      });
      // The entities themselves are the value sets: TypeORM writes the generated columns (id, timestamps, defaults) back into them.
      await m
        .createQueryBuilder()
        .insert()
        .into(Lead)
        .values(leads as QueryDeepPartialEntity<Lead>[])
        .execute();
      return leads;
    });
  }

  private async duplicateUrl(url: string, manager: EntityManager = this.dataSource.manager): Promise<ConflictError> {
    const existing = await manager.findOne(Lead, { where: { url }, select: { id: true } });
    return new ConflictError('A lead with this url already exists', { field: 'url', ...(existing && { existing_id: existing.id }) });
  }
}

/** Postgres refused a value or a constraint (SQLSTATE classes 22 and 23): one row's fault, not the batch's. */
function isRowError(error: unknown): boolean {
  const code = error instanceof QueryFailedError ? pgErrorCode(error) : undefined;
  return code !== undefined && (code.startsWith('22') || code.startsWith('23'));
}
