import { DataSource, DeepPartial, EntityManager, FindOptionsOrder, FindOptionsWhere } from 'typeorm';
import { EntityNotFoundError } from '../../common/errors/app-errors';
import { BaseEntity } from '../../database/base.entity';
import { translateDatabaseError } from './database-errors';

/** The columns a caller may set: everything but the key and the timestamps. */
export type EntityChanges<E> = Partial<Omit<E, 'id' | 'createdAt' | 'updatedAt'>>;

export interface PageRequest {
  limit: number;
  offset: number;
}

export interface Page<E> extends PageRequest {
  items: E[];
  total: number;
}

/**
 * Create / read / list / update for one domain table. Every write runs in a transaction
 * (the caller's when it passes its `EntityManager`) and goes through `manager.save`, so the
 * TypeORM subscribers see `event.entity` and, on updates, `event.databaseEntity`.
 */
export abstract class EntityCrudService<E extends BaseEntity> {
  protected constructor(
    protected readonly dataSource: DataSource,
    private readonly target: new () => E,
    private readonly label: string,
  ) {}

  create(fields: EntityChanges<E>, manager?: EntityManager): Promise<E> {
    return this.transaction(manager, async (m) => {
      const prepared = await this.prepareWrite(m, fields);
      return m.save(m.create(this.target, prepared as DeepPartial<E>));
    });
  }

  update(id: string, changes: EntityChanges<E>, manager?: EntityManager): Promise<E> {
    return this.modify(id, manager, async (entity, m) => {
      Object.assign(entity, await this.prepareWrite(m, changes, entity));
    });
  }

  /** Throws `EntityNotFoundError` (404) for an unknown id. `lock` takes the row FOR UPDATE (inside a transaction). */
  async findById(id: string, manager: EntityManager = this.dataSource.manager, lock = false): Promise<E> {
    const where = { id } as FindOptionsWhere<E>;
    const entity = await manager.findOne(this.target, lock ? { where, lock: { mode: 'pessimistic_write' } } : { where });
    if (!entity) throw new EntityNotFoundError(this.label, id);
    return entity;
  }

  /** Newest first; `filters` are equality filters on entity properties. */
  async list(filters: EntityChanges<E>, page: PageRequest, manager: EntityManager = this.dataSource.manager): Promise<Page<E>> {
    const where = filters as FindOptionsWhere<E>;
    const order = { createdAt: 'DESC', id: 'DESC' } as FindOptionsOrder<E>;
    const [items, total] = await manager.findAndCount(this.target, { where, order, take: page.limit, skip: page.offset });
    return { items, total, limit: page.limit, offset: page.offset };
  }

  /**
   * Loads the row locked FOR UPDATE, lets `change` edit it, then saves it. The lock makes two
   * concurrent transitions of one row run one after the other, so each sees the other's result.
   */
  protected modify(
    id: string,
    manager: EntityManager | undefined,
    change: (entity: E, m: EntityManager) => void | Promise<void>,
  ): Promise<E> {
    return this.transaction(manager, async (m) => {
      const entity = await this.findById(id, m, true);
      await change(entity, m);
      return m.save(entity);
    });
  }

  /** Checks references and invariants of a create (`current` undefined) or an update; may add derived fields. */
  protected prepareWrite(_manager: EntityManager, fields: EntityChanges<E>, _current?: E): Promise<EntityChanges<E>> {
    return Promise.resolve(fields);
  }

  /** Joins the caller's transaction when there is one, otherwise opens one. */
  protected async transaction<T>(manager: EntityManager | undefined, work: (m: EntityManager) => Promise<T>): Promise<T> {
    try {
      if (manager?.queryRunner?.isTransactionActive) return await work(manager);
      return await (manager ?? this.dataSource.manager).transaction(work);
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }
}
