import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { WebhookLogRepository } from '../../audit/webhook-log.repository';
import { ConflictError, EntityNotFoundError } from '../../common/errors/app-errors';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { DeliveryRepository, DeliveryRow } from '../../outbox/delivery.repository';
import { WebhookQueueService } from '../../queue/webhook-queue.service';
import { SecretCipher } from '../../subscriptions/secret-cipher';
import { DuplicateSubscriptionNameError, SubscriptionRepository, SubscriptionRow } from '../../subscriptions/subscription.repository';
import { ReplayService } from '../replay.service';
import { CreateSubscriptionDto, RecoverDto, UpdateSubscriptionDto } from './dto/subscription-input.dto';
import {
  CreatedSubscriptionResponse,
  DeletedSubscriptionResponse,
  RecoverResponse,
  RotatedSecretResponse,
  SubscriptionResponse,
  toSubscriptionResponse,
} from './dto/subscription.response';
import { subscriptionSecret } from './subscription-secret';
import { BuiltInSubscriptionReadOnlyError } from './subscriptions.errors';

const DELETED = 'subscription deleted';

/**
 * The subscriptions admin API: create, read, change, delete, rotate the secret, recover failed
 * deliveries. Secrets are stored encrypted (SecretCipher) and shown once, in the create and
 * rotate answers; logs name subscriptions by id and name only.
 */
@Injectable()
export class SubscriptionsService {
  private readonly logger = new Logger(SubscriptionsService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly subscriptions: SubscriptionRepository,
    private readonly cipher: SecretCipher,
    private readonly deliveries: DeliveryRepository,
    private readonly logs: WebhookLogRepository,
    private readonly queue: WebhookQueueService,
    private readonly replays: ReplayService,
  ) {}

  async create(dto: CreateSubscriptionDto): Promise<CreatedSubscriptionResponse> {
    const secret = subscriptionSecret(dto.secret, this.config.webhook.scheme);
    const row = await named(dto.name, () =>
      this.subscriptions.create({
        name: dto.name,
        url: dto.url,
        eventTypes: dto.event_types,
        enabled: dto.enabled ?? true,
        ordering: dto.ordering ?? 'none',
        headers: dto.headers ?? {},
        description: dto.description ?? null,
        secretEnc: this.cipher.encrypt(secret),
      }),
    );
    this.logger.log({ subscription_id: row.id, subscription: row.name }, 'Subscription created');
    // eslint-disable-next-line @typescript-eslint/no-misused-spread -- toSubscriptionResponse builds a plain object literal typed by its DTO class: no prototype to lose
    return { ...toSubscriptionResponse(row), secret };
  }

  async list(): Promise<SubscriptionResponse[]> {
    const now = Date.now();
    return (await this.subscriptions.list()).map((row) => toSubscriptionResponse(row, now));
  }

  async get(id: string): Promise<SubscriptionResponse> {
    return toSubscriptionResponse(await this.find(id));
  }

  async update(id: string, dto: UpdateSubscriptionDto): Promise<SubscriptionResponse> {
    await this.findChangeable(id, 'changed');
    const row = await named(dto.name, () =>
      this.subscriptions.update(id, {
        name: dto.name,
        url: dto.url,
        eventTypes: dto.event_types,
        enabled: dto.enabled,
        ordering: dto.ordering,
        headers: dto.headers,
        description: dto.description,
      }),
    );
    if (!row) throw new EntityNotFoundError('subscription', id);
    const changed = Object.keys(dto).filter((k) => dto[k as keyof UpdateSubscriptionDto] !== undefined);
    this.logger.log({ subscription_id: id, subscription: row.name, changed }, 'Subscription changed');
    return toSubscriptionResponse(row);
  }

  /**
   * Soft-deletes the subscription and cancels its unfinished deliveries in one transaction, each
   * cancellation audited in webhook_logs; then their jobs leave the queue. A delivery being sent
   * right now finishes; its retries, if any, find the subscription deleted and are cancelled.
   */
  async remove(id: string): Promise<DeletedSubscriptionResponse> {
    const sub = await this.findChangeable(id, 'deleted');
    const cancelled = await this.dataSource.transaction(async (manager) => {
      if (!(await this.subscriptions.softDelete(id, manager))) throw new EntityNotFoundError('subscription', id);
      const rows = await this.deliveries.cancelAllOf(id, DELETED, manager);
      if (rows.length) await this.logs.insertMany(rows.map(cancellationLog), manager);
      return rows;
    });
    await this.removeJobs(cancelled.map((r) => r.id));
    this.logger.log({ subscription_id: id, subscription: sub.name, cancelled_deliveries: cancelled.length }, 'Subscription deleted');
    return { deleted: true, cancelled_deliveries: cancelled.length };
  }

  /** A new secret signs from now on; the current one signs alongside it for SECRET_ROTATION_GRACE_HOURS. */
  async rotateSecret(id: string, given: string | undefined): Promise<RotatedSecretResponse> {
    const sub = await this.findChangeable(id, 'given another secret');
    const secret = subscriptionSecret(given, this.config.webhook.scheme);
    const graceMs = this.config.subscriptions.rotationGraceMs;
    const graceUntil = graceMs > 0 ? new Date(Date.now() + graceMs) : null;
    const row = await this.subscriptions.rotateSecret(id, this.cipher.encrypt(secret), graceUntil);
    if (!row) throw new EntityNotFoundError('subscription', id);
    this.logger.log({ subscription_id: id, subscription: sub.name, grace_until: graceUntil }, 'Subscription secret rotated');
    return { secret, previous_secret_expires_at: graceUntil && graceUntil.toISOString() };
  }

  /** Re-sends the failed and cancelled deliveries of the subscription created since `since` (same ids, same event ids). */
  async recover(id: string, dto: RecoverDto): Promise<RecoverResponse> {
    const sub = await this.find(id);
    if (!sub.enabled)
      throw new ConflictError('The subscription is disabled: enable it (PATCH "enabled": true) before recovering its deliveries', {
        enabled: false,
      });
    const recovered = await this.replays.replayMatching(
      { subscriptionId: id, since: dto.since },
      ['failed', 'cancelled'],
      dto.force ?? false,
    );
    this.logger.log({ subscription_id: id, subscription: sub.name, since: dto.since, recovered }, 'Subscription deliveries recovered');
    return { recovered };
  }

  /** The live subscription, or a 404. */
  async find(id: string): Promise<SubscriptionRow> {
    const row = await this.subscriptions.find(id);
    if (!row) throw new EntityNotFoundError('subscription', id);
    return row;
  }

  private async findChangeable(id: string, action: string): Promise<SubscriptionRow> {
    const row = await this.find(id);
    if (row.built_in) throw new BuiltInSubscriptionReadOnlyError(action);
    return row;
  }

  private async removeJobs(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      await this.queue.removeMany(ids);
    } catch (error) {
      // The rows are cancelled: a worker that takes one of these jobs skips it.
      this.logger.warn({ err: error, jobs: ids.length }, 'Could not remove the jobs of cancelled deliveries; workers will skip them');
    }
  }
}

/** Another live subscription has the name: a 409. */
async function named<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof DuplicateSubscriptionNameError) throw new ConflictError(error.message, { field: 'name', name });
    throw error;
  }
}

function cancellationLog(row: DeliveryRow) {
  return {
    direction: 'outgoing' as const,
    deliveryId: row.id,
    eventType: row.event,
    entityType: row.entity_type,
    entityId: row.entity_id,
    endpoint: row.target_url,
    outcome: 'cancelled',
    reason: DELETED,
  };
}
