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
} from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DEFAULT_PRIORITY } from '../events/event-catalog';
import type { EventEnvelope, EventInput } from '../events/event-envelope';
import { targetUrl } from '../events/event-targets';
import { DeliveryRepository } from './delivery.repository';
import { OutboxEvent } from './outbox-event.entity';
import { OutboxPublisher } from './outbox-publisher.service';

/**
 * The transactional outbox. `record` writes event rows through the caller's EntityManager, so
 * they commit or roll back with the change that raised them; once the transaction commits,
 * the rows are handed to the publisher. Rows recorded outside a transaction are published at once.
 */
@Injectable()
export class OutboxService implements EntitySubscriberInterface {
  private readonly pending = new WeakMap<QueryRunner, OutboxEvent[]>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly publisher: OutboxPublisher,
    private readonly deliveries: DeliveryRepository,
  ) {
    dataSource.subscribers.push(this);
  }

  async record(inputs: EventInput[], manager: EntityManager = this.dataSource.manager): Promise<EventEnvelope[]> {
    const rows: OutboxEvent[] = [];
    const envelopes: EventEnvelope[] = [];
    const maxAttempts = this.config.webhook.retryDelaysMs.length + 1;
    const now = new Date();
    for (const input of inputs) {
      const url = targetUrl(this.config, input.type);
      if (!url) continue; // switched off: nothing is recorded or sent
      const envelope: EventEnvelope = {
        id: randomUUID(),
        event: input.type,
        created_at: now.toISOString(),
        priority: input.priority ?? DEFAULT_PRIORITY[input.type],
        entity: input.entity,
        data: input.data,
      };
      envelopes.push(envelope);
      rows.push(
        manager.create(OutboxEvent, {
          id: envelope.id,
          eventType: input.type,
          priority: envelope.priority,
          entityType: input.entity.type,
          entityId: input.entity.id,
          payload: envelope as unknown as Record<string, unknown>,
          targetUrl: url,
          status: 'pending',
          attempts: 0,
          maxAttempts,
          createdAt: now,
        }),
      );
    }
    if (rows.length === 0) return envelopes;
    await this.deliveries.insertPending(rows, manager);

    const runner = manager.queryRunner;
    if (runner?.isTransactionActive) {
      const list = this.pending.get(runner) ?? [];
      list.push(...rows);
      this.pending.set(runner, list);
    } else {
      this.publisher.publishSoon(rows);
    }
    return envelopes;
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
