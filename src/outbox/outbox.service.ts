import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
  TransactionStartEvent,
} from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DEFAULT_PRIORITY } from '../events/event-catalog';
import type { EventEnvelope, EventInput } from '../events/event-envelope';
import { DeliveryRepository, NewEvent, RecordedDelivery } from './delivery.repository';
import type { QueueableEvent } from '../queue/webhook-queue.service';
import { OutboxPublisher } from './outbox-publisher.service';

/** Events recorded on one transaction within one turn of the event loop, written by one statement. */
class Gathering {
  readonly events: NewEvent[] = [];
  readonly written: Promise<RecordedDelivery[]>;
  /** Writes them now (at most once; later records on the transaction start a new gathering). */
  write!: () => void;

  constructor(writeAll: (events: NewEvent[]) => Promise<RecordedDelivery[]>) {
    this.written = new Promise<void>((resolve) => (this.write = resolve)).then(() => writeAll(this.events));
  }
}

/**
 * The transactional outbox. `record` writes event rows through the caller's EntityManager, so
 * they commit or roll back with the change that raised them; once the transaction commits,
 * the rows are handed to the publisher. Rows recorded outside a transaction are published at once.
 */
@Injectable()
export class OutboxService implements EntitySubscriberInterface {
  private readonly pending = new WeakMap<QueryRunner, QueueableEvent[]>();
  private readonly gatherings = new WeakMap<QueryRunner, Gathering>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly publisher: OutboxPublisher,
    private readonly deliveries: DeliveryRepository,
  ) {
    dataSource.subscribers.push(this);
  }

  /**
   * Records events through `manager`: one delivery per matching subscription (an event no
   * subscription takes, e.g. switched off by N8N_DISABLED_EVENTS with no other subscriber, leaves
   * nothing and is not returned). Returns the envelopes of the events recorded.
   */
  async record(inputs: EventInput[], manager: EntityManager = this.dataSource.manager): Promise<EventEnvelope[]> {
    if (inputs.length === 0) return [];
    const maxAttempts = this.config.webhook.retryDelaysMs.length + 1;
    const now = new Date();
    const envelopes: EventEnvelope[] = inputs.map((input) => ({
      id: randomUUID(),
      event: input.type,
      created_at: now.toISOString(),
      priority: input.priority ?? DEFAULT_PRIORITY[input.type],
      entity: input.entity,
      data: input.data,
    }));
    const events: NewEvent[] = envelopes.map((e) => ({
      id: e.id,
      eventType: e.event,
      priority: e.priority,
      entityType: e.entity.type,
      entityId: e.entity.id,
      payload: e as unknown as Record<string, unknown>,
      maxAttempts,
      createdAt: now,
    }));
    const runner = manager.queryRunner;
    const deliveries = runner?.isTransactionActive
      ? await this.recordGathered(runner, events, manager)
      : await this.deliveries.recordEvents(events, manager);
    const recorded = new Set(deliveries.map((d) => d.eventId));
    const result = recorded.size === envelopes.length ? envelopes : envelopes.filter((e) => recorded.has(e.id));
    const toPublish = deliveries.filter((d) => d.status === 'pending');
    if (toPublish.length === 0) return result;

    if (runner?.isTransactionActive) {
      const list = this.pending.get(runner) ?? [];
      list.push(...toPublish);
      this.pending.set(runner, list);
    } else {
      this.publisher.publishSoon(toPublish);
    }
    return result;
  }

  /**
   * Records made on one transaction within one turn of the event loop — the subscribers of a
   * multi-row INSERT, one per row — go to the database in one statement (one round trip instead
   * of one each). The statement runs on the next turn, or before the transaction starts a
   * savepoint, commits or rolls back (so each record stays in the savepoint it was made in).
   */
  private async recordGathered(runner: QueryRunner, events: NewEvent[], manager: EntityManager): Promise<RecordedDelivery[]> {
    let gathering = this.gatherings.get(runner);
    if (!gathering) {
      const fresh = new Gathering((all) => {
        if (this.gatherings.get(runner) === fresh) this.gatherings.delete(runner);
        return this.deliveries.recordEvents(all, manager);
      });
      this.gatherings.set(runner, fresh);
      setImmediate(fresh.write);
      gathering = fresh;
    }
    gathering.events.push(...events);
    const mine = new Set(events.map((e) => e.id));
    return (await gathering.written).filter((d) => mine.has(d.eventId));
  }

  /** Writes what is gathered on the transaction before it goes on; its failure is the records' own (their callers see it). */
  private async writeGathered(runner: QueryRunner): Promise<void> {
    const gathering = this.gatherings.get(runner);
    if (!gathering) return;
    gathering.write();
    await gathering.written.catch(() => undefined);
  }

  beforeTransactionStart(event: TransactionStartEvent): Promise<void> {
    return this.writeGathered(event.queryRunner);
  }

  beforeTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    return this.writeGathered(event.queryRunner);
  }

  beforeTransactionRollback(event: TransactionRollbackEvent): Promise<void> {
    return this.writeGathered(event.queryRunner);
  }

  /** Called by TypeORM after every COMMIT or savepoint release; publishes once the outermost one commits. */
  afterTransactionCommit(event: TransactionCommitEvent): void {
    const runner = event.queryRunner;
    if (runner.isTransactionActive) return;
    const rows = this.pending.get(runner);
    if (!rows) return;
    this.pending.delete(runner);
    this.publisher.publishSoon(rows);
  }

  /** A rolled-back transaction publishes nothing (its rows are gone with it). */
  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) this.pending.delete(event.queryRunner);
  }
}
