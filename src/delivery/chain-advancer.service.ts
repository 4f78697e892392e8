import { Injectable, Logger } from '@nestjs/common';
import { DeliveryRepository } from '../outbox/delivery.repository';
import type { Job } from 'bullmq';
import { WebhookQueueService } from '../queue/webhook-queue.service';

/**
 * Ordered delivery (`per_entity`): once a delivery is finished (sent, failed for good or
 * cancelled), the next delivery of its chain, waiting in the delayed set, is moved to the queue
 * at once. Never throws: a promotion that does not happen only costs the waiting job its
 * fallback recheck.
 */
@Injectable()
export class ChainAdvancer {
  private readonly logger = new Logger(ChainAdvancer.name);

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly queue: WebhookQueueService,
  ) {}

  /** The deliveries waiting for these finished ones go now. */
  async advance(...finished: string[]): Promise<void> {
    try {
      const next = await this.deliveries.successorsOf(finished);
      if (next.length) await this.queue.promote(next);
    } catch (error) {
      this.logger.warn({ err: error, deliveries: finished }, 'Could not advance ordered deliveries now; they will look again shortly');
    }
  }

  /** This job was just put in the delayed set, but its predecessor has finished meanwhile. */
  async promoteJob(job: Job): Promise<void> {
    // Someone else (the predecessor's worker) may have promoted it first: nothing to do then.
    await job.promote().catch(() => undefined);
  }
}
